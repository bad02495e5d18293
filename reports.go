package dsrflow

import "time"

// Reports: what the service tells staff about the request book as a whole, with no personal data
// (the dashboard, the transparency report), and the two staff reads that are not a request's (the
// outbox, the suppression list).

// Dashboard is the state of the request book (GET /api/v1/dashboard, the console's first page).
type Dashboard struct {
	OpenByStatus []StatusCount    `json:"open_by_status"`
	DueThisWeek  int              `json:"due_this_week"`
	Overdue      int              `json:"overdue"`
	Months       []MonthStat      `json:"months"`
	Connectors   []ConnectorStat  `json:"connectors"`
	Generated    time.Time        `json:"generated"`
	Window       map[string]int64 `json:"window_days"`

	// Refusals counts the requests refused by a reviewer or the DPO, by ground, every ground listed.
	Refusals []RefusalCount `json:"refusals"`
}

// RefusalCount is the number of requests refused on one ground (RefusalGround).
type RefusalCount struct {
	Ground string `json:"ground"`
	Count  int    `json:"count"`
}

// StatusCount is the number of open requests in one status.
type StatusCount struct {
	Status string `json:"status"`
	Count  int    `json:"count"`
}

// MonthStat is one month of answers: requests completed or rejected in it, how many by their due date,
// and the median days from receipt to answer.
type MonthStat struct {
	Month      string  `json:"month"`
	Answered   int     `json:"answered"`
	OnTime     int     `json:"on_time"`
	MedianDays float64 `json:"median_days"`
}

// ConnectorStat is one connector's jobs of the dashboard's window.
type ConnectorStat struct {
	Connector string `json:"connector"`
	Jobs      int    `json:"jobs"`
	Failed    int    `json:"failed"`
}

// TransparencyRow is one authority country's line of the transparency report: authority requests
// received in the year, refused for lack of a court order, refused on review, complied with, the
// subjects whose data was disclosed and the categories disclosed.
type TransparencyRow struct {
	Country         string   `json:"country"`
	Received        int      `json:"received"`
	RefusedNoOrder  int      `json:"refused_no_order"`
	RefusedOnReview int      `json:"refused_on_review"`
	Complied        int      `json:"complied"`
	Subjects        int      `json:"subjects"`
	Categories      []string `json:"categories"`
}

// TransparencyReport is the DPO's transparency report of a calendar year: the year's authority requests
// by the authority's country, and the requests routed to business customers as their processor, per
// customer (issue 22).
type TransparencyReport struct {
	Year        int               `json:"year"`
	Authorities []TransparencyRow `json:"authorities"`
	// Routed counts every routed item to date per customer, not only the year's: an item's state is
	// where it is now.
	Routed []RoutedCustomerCount `json:"routed"`
}

// RoutedCustomerCount is one customer's routed items by where they are: Open are notified, instructed
// or escalated (Escalated counts the last of these: the DPA's deadline passed with no instruction);
// Executed, Declined and Handled are closed by the customer's instruction.
type RoutedCustomerCount struct {
	Customer  string `json:"customer"`
	LegalName string `json:"legal_name,omitempty"`
	Total     int    `json:"total"`
	Open      int    `json:"open"`
	Escalated int    `json:"escalated"`
	Executed  int    `json:"executed"`
	Declined  int    `json:"declined"`
	Handled   int    `json:"handled"`
}

// OutboxQuery selects outbox messages: to one address, of one request, or (both empty) the latest.
type OutboxQuery struct {
	To        string
	RequestID string
}

// OutboxMessage is a message in the outbox with its text, for an admin (GET /api/v1/outbox).
type OutboxMessage struct {
	ID        string     `json:"id"`
	RequestID string     `json:"request_id"`
	Kind      string     `json:"kind"`
	To        string     `json:"to"`
	Subject   string     `json:"subject"`
	Body      string     `json:"body"`
	Created   time.Time  `json:"created"`
	Sent      *time.Time `json:"sent,omitempty"`
}

// SuppressionEntry is the suppression list's entry for an address's hash: why it may not be mailed.
type SuppressionEntry struct {
	Reason string `json:"reason"`
}
