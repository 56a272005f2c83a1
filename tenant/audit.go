package tenant

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
)

// Audit is the control plane's audit log: who did what, when and from
// where. Events of a tenant are read by that tenant's admins; sign-ins
// (no tenant) are shown to the admins of every tenant the user belongs to.
type Audit struct {
	DB *sqlx.DB
}

// Audit actions.
const (
	AuditLogin        = "auth.login"
	AuditLoginFailed  = "auth.login_failed"
	AuditLogout       = "auth.logout"
	AuditInviteAccept = "auth.invite_accepted"
	AuditGrant        = "role.granted"
	AuditRevoke       = "role.revoked"
	AuditMemberRemove = "member.removed"
	AuditInvite       = "member.invited"
	AuditInviteDelete = "member.invite_deleted"
	AuditRoleCreate   = "role.created"
	AuditRoleUpdate   = "role.updated"
	AuditRoleDelete   = "role.deleted"
	AuditSettings     = "settings.updated"
	AuditTokenCreate  = "token.created"
	AuditTokenRevoke  = "token.revoked"
	AuditAgencyCreate = "agency.created"
	AuditTenantCreate = "tenant.created"
)

// AuditEvent is one entry of the log. Detail never holds secrets.
type AuditEvent struct {
	ID         uuid.UUID      `json:"id"`
	At         time.Time      `json:"at"`
	TenantID   *uuid.UUID     `json:"tenant_id,omitempty"`
	ActorID    *uuid.UUID     `json:"actor_id,omitempty"`
	ActorEmail string         `json:"actor_email"`
	Action     string         `json:"action"`
	Target     string         `json:"target"`
	Detail     map[string]any `json:"detail"`
	IP         string         `json:"ip"`
	UserAgent  string         `json:"user_agent"`
}

// Record writes an event.
func (a *Audit) Record(ctx context.Context, e AuditEvent) error {
	return RecordAudit(ctx, a.DB, e)
}

// RecordAudit writes an event through q (a pool or a transaction, so that
// the event commits with the change it describes).
func RecordAudit(ctx context.Context, q sqlx.ExecerContext, e AuditEvent) error {
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `
		insert into control.audit_log (id, tenant_id, actor_id, actor_email, action, target, detail, ip, user_agent)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		core.NewID(), e.TenantID, e.ActorID, e.ActorEmail, e.Action, e.Target, detail, e.IP, truncate(e.UserAgent, 300))
	return err
}

// AuditPage is a page of events, newest first; Next is the cursor of the
// following page ("" at the end).
type AuditPage struct {
	Events []AuditEvent `json:"events"`
	Next   string       `json:"next,omitempty"`
}

// ForTenant lists a tenant's events newest first: everything done in the
// tenant, plus the sign-ins of its members. before is a cursor from a
// previous page ("" for the first).
func (a *Audit) ForTenant(ctx context.Context, tenantID uuid.UUID, before string, limit int) (AuditPage, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var cursor *uuid.UUID
	if before != "" {
		id, err := uuid.Parse(before)
		if err != nil {
			return AuditPage{}, core.Invalid(map[string]string{"before": "not a cursor from a previous page"})
		}
		cursor = &id
	}
	var rows []struct {
		ID         uuid.UUID     `db:"id"`
		At         time.Time     `db:"at"`
		TenantID   uuid.NullUUID `db:"tenant_id"`
		ActorID    uuid.NullUUID `db:"actor_id"`
		ActorEmail string        `db:"actor_email"`
		Action     string        `db:"action"`
		Target     string        `db:"target"`
		Detail     []byte        `db:"detail"`
		IP         string        `db:"ip"`
		UserAgent  string        `db:"user_agent"`
	}
	// Ids are UUIDv7, so id order is time order.
	err := a.DB.SelectContext(ctx, &rows, `
		select id, at, tenant_id, actor_id, actor_email, action, target, detail, ip, user_agent
		from control.audit_log l
		where (l.tenant_id = $1
		       or (l.tenant_id is null and l.action in ('auth.login', 'auth.logout', 'auth.login_failed')
		           and l.actor_id in (select user_id from control.memberships where tenant_id = $1)))
		  and ($2::uuid is null or l.id < $2)
		order by l.id desc limit $3`, tenantID, cursor, limit+1)
	if err != nil {
		return AuditPage{}, err
	}
	var p AuditPage
	for i, r := range rows {
		if i == limit {
			p.Next = p.Events[limit-1].ID.String()
			break
		}
		e := AuditEvent{ID: r.ID, At: r.At, ActorEmail: r.ActorEmail, Action: r.Action, Target: r.Target, IP: r.IP, UserAgent: r.UserAgent}
		if r.TenantID.Valid {
			e.TenantID = &r.TenantID.UUID
		}
		if r.ActorID.Valid {
			e.ActorID = &r.ActorID.UUID
		}
		_ = json.Unmarshal(r.Detail, &e.Detail)
		p.Events = append(p.Events, e)
	}
	if p.Events == nil {
		p.Events = []AuditEvent{}
	}
	return p, nil
}
