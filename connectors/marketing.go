package connectors

import "strings"

// MarketingCategory is the root of the marketing data categories (user.marketing.lead, ...).
const MarketingCategory = "user.marketing"

// Marketing reports whether the rule is the privacy policy's marketing rule: "contact information kept
// for marketing, including leads and potential customers, is deleted no later than 24 months after the
// last registered activity". It covers the whole marketing contact (contact data, consents, leads), so
// the sweep's purge job asks for it (Job.Contact).
func (r RetentionRule) Marketing() bool {
	return r.Category == MarketingCategory || strings.HasPrefix(r.Category, MarketingCategory+".")
}
