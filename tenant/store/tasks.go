package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

const taskCols = `id, customer_id, title, body, due_at, assignee_id, created_by, status, source, snoozed_until, completed_at, created_at, updated_at`

// TaskAccess is how far an actor reaches into tasks. Without All (the
// tasks:manage permission, decided by the caller) an actor reaches only
// tasks assigned to or created by them and tasks on customers they own:
// DESIGN §4's "own, assigned, created". With All, the own-records scope
// still limits tasks on customers to the actor's customers, but tasks
// assigned to or created by the actor stay visible.
type TaskAccess struct{ All bool }

// taskVisible uses $1 own-only, $2 user, $3 all-tasks.
var taskVisible = taskVisibleAt(1, 2, 3)

// taskVisibleAt is the condition that the actor reaches a task, with the
// own-only flag, the user and the all-tasks flag in the numbered
// parameters: the one rule every list, count and timeline of tasks uses.
func taskVisibleAt(own, user, all int) string {
	return fmt.Sprintf(`(assignee_id = $%[2]d::uuid or created_by = $%[2]d::uuid
	or customer_id in (select id from customers where owner_id = $%[2]d::uuid)
	or ($%[3]d::boolean and (not $%[1]d::boolean)))`, own, user, all)
}

// taskSeen is who reads tasks and what they reach (taskVisibleAt's
// parameters, then whether rescue-alert tasks show), for reads whose
// caller passes no TaskAccess.
type taskSeen struct {
	own    bool
	user   uuid.UUID
	all    bool
	scores bool
}

func taskSeenOf(ctx context.Context) (taskSeen, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return taskSeen{}, err
	}
	acc, scores := taskRulesOf(ctx)
	return taskSeen{own: sc.own, user: sc.user, all: acc.All || sc.sys, scores: scores}, nil
}

// cond is the condition for tasks with taskSeen's four values in
// parameters from, from+1, from+2, from+3.
func (ts taskSeen) cond(from int) string {
	return taskVisibleAt(from, from+1, from+2) + fmt.Sprintf(` and ($%d::boolean or source <> 'rescue_alert')`, from+3)
}

func (ts taskSeen) args() []any { return []any{ts.own, ts.user, ts.all, ts.scores} }

// noRescueTasks hides rescue-alert tasks: their titles and bodies say a
// customer's churn risk, a score field (DESIGN §4: a role without
// scores:read gets no score fields anywhere).
const noRescueTasks = ` and source <> 'rescue_alert'`

// TaskRules answers, for the context's actor, the two permissions that
// decide which tasks a read reaches when the caller passes no
// TaskAccess (profile, timeline): permissions are Casbin's (authz),
// which this package does not import. web binds them to every request.
type TaskRules struct {
	// All reports tasks:manage (TaskAccess.All).
	All func(context.Context) bool
	// Scores reports scores:read; without it rescue-alert tasks are
	// hidden everywhere, whatever the TaskAccess.
	Scores func(context.Context) bool
}

type taskRulesKey struct{}

// WithTaskRules returns a context that carries r. Without rules an
// actor other than the system reaches only its own, assigned and created
// tasks and no rescue-alert tasks: storage fails closed.
func WithTaskRules(ctx context.Context, r TaskRules) context.Context {
	return context.WithValue(ctx, taskRulesKey{}, r)
}

// taskRulesOf evaluates the context's task rules: the access a reader
// gets when the caller names none, and whether it sees rescue-alert
// tasks. The system actor (jobs, CLI) reaches everything.
func taskRulesOf(ctx context.Context) (acc TaskAccess, scores bool) {
	if a, ok := core.ActorFrom(ctx); ok && a.System {
		return TaskAccess{All: true}, true
	}
	r, _ := ctx.Value(taskRulesKey{}).(TaskRules)
	acc.All = r.All != nil && r.All(ctx)
	scores = r.Scores != nil && r.Scores(ctx)
	return acc, scores
}

// taskCond is the visibility condition of tasks for the context's actor
// (taskVisible's parameters), rescue-alert tasks left out without
// scores:read.
func taskCond(ctx context.Context) string {
	if _, scores := taskRulesOf(ctx); !scores {
		return taskVisible + noRescueTasks
	}
	return taskVisible
}

// CreateTask creates a task; the creator is the actor.
func (s *Store) CreateTask(ctx context.Context, acc TaskAccess, u core.TaskUpdate) (core.Task, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Task{}, err
	}
	t := core.Task{ID: core.NewID(), Status: "open", Source: "manual", CreatedBy: sc.author()}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		return sc.saveTask(ctx, tx, acc, &t, u, true)
	})
	return t, err
}

// Task returns one task the actor reaches.
func (s *Store) Task(ctx context.Context, acc TaskAccess, id uuid.UUID) (core.Task, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Task{}, err
	}
	var t core.Task
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error { return sc.getTask(ctx, tx, acc, &t, id, false) })
	return t, err
}

func (sc lrScope) taskArgs(acc TaskAccess, more ...any) []any {
	return append([]any{sc.own, sc.user, acc.All || sc.sys}, more...)
}

func (sc lrScope) getTask(ctx context.Context, tx *sqlx.Tx, acc TaskAccess, t *core.Task, id uuid.UUID, lock bool) error {
	q := `select ` + taskCols + ` from tasks where id = $4 and ` + taskCond(ctx)
	if lock {
		q += ` for update`
	}
	err := tx.GetContext(ctx, t, q, sc.taskArgs(acc, id)...)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Errorf(core.CodeNotFound, "task not found")
	}
	return err
}

// TaskFilter selects tasks.
type TaskFilter struct {
	CustomerID *uuid.UUID
	AssigneeID *uuid.UUID
	Status     []string
	Cursor     string
	Limit      int
}

// Tasks lists the tasks the actor reaches, newest first.
func (s *Store) Tasks(ctx context.Context, acc TaskAccess, f TaskFilter) (LinkPage[core.Task], error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return LinkPage[core.Task]{}, err
	}
	var cursor *uuid.UUID
	if f.Cursor != "" {
		id, err := lrDecodeCursor(f.Cursor)
		if err != nil {
			return LinkPage[core.Task]{}, err
		}
		cursor = &id
	}
	limit := lrLimit(f.Limit)
	p := LinkPage[core.Task]{Items: []core.Task{}}
	err = tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if f.CustomerID != nil {
			if err := sc.customerVisible(ctx, tx, *f.CustomerID); err != nil {
				return err
			}
		}
		return tx.SelectContext(ctx, &p.Items, `select `+taskCols+` from tasks where `+taskCond(ctx)+`
			and ($4::uuid is null or customer_id = $4)
			and ($5::uuid is null or assignee_id = $5)
			and (cardinality($6::text[]) = 0 or status = any($6))
			and ($7::uuid is null or id < $7)
			order by id desc limit $8`, sc.taskArgs(acc, f.CustomerID, f.AssigneeID, pq.Array(lrNonNil(f.Status)), cursor, limit+1)...)
	})
	if err != nil {
		return LinkPage[core.Task]{}, err
	}
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.NextCursor = lrEncodeCursor(p.Items[limit-1].ID)
	}
	return p, nil
}

// UpdateTask changes a task the actor reaches.
func (s *Store) UpdateTask(ctx context.Context, acc TaskAccess, id uuid.UUID, u core.TaskUpdate) (core.Task, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Task{}, err
	}
	var t core.Task
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.getTask(ctx, tx, acc, &t, id, true); err != nil {
			return err
		}
		return sc.saveTask(ctx, tx, acc, &t, u, false)
	})
	return t, err
}

// DeleteTask deletes a task the actor reaches.
func (s *Store) DeleteTask(ctx context.Context, acc TaskAccess, id uuid.UUID) error {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return err
	}
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `delete from tasks where id = $4 and `+taskCond(ctx), sc.taskArgs(acc, id)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.CodeNotFound, "task not found")
		}
		return nil
	})
}

func (sc lrScope) saveTask(ctx context.Context, tx *sqlx.Tx, acc TaskAccess, t *core.Task, u core.TaskUpdate, isNew bool) error {
	before := *t
	u.Apply(t, time.Now())
	t.DueAt, t.SnoozedUntil, t.CompletedAt = lrMicroPtr(t.DueAt), lrMicroPtr(t.SnoozedUntil), lrMicroPtr(t.CompletedAt)
	if err := t.Validate(); err != nil {
		return err
	}
	if !isNew && lrSame(before, *t) {
		return nil
	}
	if t.CustomerID != nil && (before.CustomerID == nil || *before.CustomerID != *t.CustomerID) {
		if sc.customerVisible(ctx, tx, *t.CustomerID) != nil {
			return core.Invalid(map[string]string{"customer_id": "no such customer"})
		}
	}
	if t.AssigneeID != nil && (before.AssigneeID == nil || *before.AssigneeID != *t.AssigneeID) {
		// Like a customer's owner: an active member of this tenant, so a
		// task never goes to another tenant's user or to nobody.
		ok, err := checkOwner(ctx, tx, *t.AssigneeID)
		if err != nil {
			return err
		}
		if !ok {
			return core.Invalid(map[string]string{"assignee_id": "not a member of this tenant"})
		}
	}
	if !acc.All && !sc.sys && t.AssigneeID != nil && *t.AssigneeID != sc.user && (before.AssigneeID == nil || *before.AssigneeID != *t.AssigneeID) {
		// Without tasks:manage one may hand a task to someone else only
		// on one's own customer.
		var owned int
		if t.CustomerID != nil {
			_ = tx.GetContext(ctx, &owned, `select count(*) from customers where id = $1 and owner_id = $2`, *t.CustomerID, sc.user)
		}
		if owned == 0 && (t.CreatedBy == nil || *t.CreatedBy != sc.user) {
			return core.Invalid(map[string]string{"assignee_id": "you may assign only tasks you created or on your own customers"})
		}
	}
	return tx.GetContext(ctx, t, `insert into tasks (id, customer_id, title, body, due_at, assignee_id, created_by, status, source, snoozed_until, completed_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		on conflict (id) do update set customer_id = excluded.customer_id, title = excluded.title, body = excluded.body,
			due_at = excluded.due_at, assignee_id = excluded.assignee_id, status = excluded.status,
			snoozed_until = excluded.snoozed_until, completed_at = excluded.completed_at, updated_at = now()
		returning `+taskCols, t.ID, t.CustomerID, t.Title, t.Body, t.DueAt, t.AssigneeID, t.CreatedBy, t.Status, t.Source, t.SnoozedUntil, t.CompletedAt)
}
