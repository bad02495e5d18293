package act

import "time"

// DueKeptInput asks for the kept data whose period has ended by Now (Store.DueKept).
type DueKeptInput struct {
	Now time.Time
}

// KeptRecord is data an erasure kept, by the connector's opaque ref: no personal data.
type KeptRecord struct {
	JobID, RequestID, Connector, Dataset, Ref string
	// Until is the last day kept.
	Until time.Time
}

// KeptPurgedInput records that PurgeJob deleted Records at At (Store.KeptPurged).
type KeptPurgedInput struct {
	Records  []KeptRecord
	PurgeJob string
	At       time.Time
}
