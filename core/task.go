package core

import (
	"time"

	"github.com/google/uuid"
)

// Task statuses and sources.
var (
	TaskStatuses = []string{"open", "done", "snoozed", "cancelled"}
	TaskSources  = []string{"manual", "rescue_alert", "workflow", "import"}
)

// Task is a to-do, usually about a customer.
type Task struct {
	ID           uuid.UUID  `json:"id" db:"id"`
	CustomerID   *uuid.UUID `json:"customer_id" db:"customer_id"`
	Title        string     `json:"title" db:"title"`
	Body         string     `json:"body" db:"body"`
	DueAt        *time.Time `json:"due_at" db:"due_at"`
	AssigneeID   *uuid.UUID `json:"assignee_id" db:"assignee_id"`
	CreatedBy    *uuid.UUID `json:"created_by" db:"created_by"`
	Status       string     `json:"status" db:"status"`
	Source       string     `json:"source" db:"source"`
	SnoozedUntil *time.Time `json:"snoozed_until" db:"snoozed_until"`
	CompletedAt  *time.Time `json:"completed_at" db:"completed_at"`
	CreatedAt    time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at" db:"updated_at"`
}

// TaskUpdate changes a task; it is also the body of a create, where title
// is required.
type TaskUpdate struct {
	CustomerID   *uuid.UUID `json:"customer_id"`
	Title        *string    `json:"title"`
	Body         *string    `json:"body"`
	DueAt        *time.Time `json:"due_at"`
	AssigneeID   *uuid.UUID `json:"assignee_id"`
	Status       *string    `json:"status"`
	SnoozedUntil *time.Time `json:"snoozed_until"`
}

// Apply writes u onto t; completing stamps CompletedAt.
func (u TaskUpdate) Apply(t *Task, now time.Time) {
	if u.CustomerID != nil {
		t.CustomerID = idOrNil(*u.CustomerID)
	}
	setPtr(&t.Title, u.Title)
	setPtr(&t.Body, u.Body)
	if u.DueAt != nil {
		d := *u.DueAt
		t.DueAt = &d
	}
	if u.AssigneeID != nil {
		t.AssigneeID = idOrNil(*u.AssigneeID)
	}
	setPtr(&t.Status, u.Status)
	if u.SnoozedUntil != nil {
		s := *u.SnoozedUntil
		t.SnoozedUntil = &s
	}
	if t.Status == "done" && t.CompletedAt == nil {
		n := now
		t.CompletedAt = &n
	}
	if t.Status != "done" {
		t.CompletedAt = nil
	}
	if t.Status != "snoozed" {
		t.SnoozedUntil = nil
	}
}

// Validate checks a task before it is stored.
func (t *Task) Validate() error {
	f := recFields{}
	f.Required("title", t.Title, 500)
	f.MaxLen("body", t.Body, 100000)
	f.OneOf("status", t.Status, TaskStatuses)
	f.OneOf("source", t.Source, TaskSources)
	if t.Status == "snoozed" && t.SnoozedUntil == nil {
		f["snoozed_until"] = "is required when snoozing"
	}
	return f.Err()
}
