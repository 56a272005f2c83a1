package tenant

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
)

// InviteTTL is how long an invite link stays good.
const InviteTTL = 7 * 24 * time.Hour

// Invite is a pending membership with a one-time link.
type Invite struct {
	ID         uuid.UUID  `json:"id"`
	TenantID   uuid.UUID  `json:"tenant_id"`
	UserID     uuid.UUID  `json:"user_id"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	Roles      []string   `json:"roles"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
}

// NewInvite is what it takes to invite someone.
type NewInvite struct {
	Email string
	Name  string
	Roles []string
	By    uuid.UUID
}

// CreateInvite invites a person into a tenant: it creates the user if the
// email is new (without a password), a pending membership, and a one-time
// secret for the link, returned once. An active member is a conflict.
// Roles are checked by the caller and granted on acceptance.
func (s *Users) CreateInvite(ctx context.Context, tenantID uuid.UUID, n NewInvite) (string, Invite, error) {
	email, err := NormalizeEmail("email", n.Email)
	if err != nil {
		return "", Invite{}, err
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return "", Invite{}, err
	}
	defer tx.Rollback()
	var row userRow
	err = tx.GetContext(ctx, &row, `select `+userCols+` from control.users where lower(email) = lower($1) for update`, email)
	if errors.Is(err, sql.ErrNoRows) {
		nu := NewUser{Email: email, Name: n.Name}
		if err := nu.validate(); err != nil {
			return "", Invite{}, err
		}
		u, err := createUser(ctx, tx, nu, nil)
		if err != nil {
			return "", Invite{}, err
		}
		row = userRow{ID: u.ID, Email: u.Email, Name: u.Name}
	} else if err != nil {
		return "", Invite{}, err
	}
	var status string
	err = tx.GetContext(ctx, &status, `select status from control.memberships where tenant_id = $1 and user_id = $2`, tenantID, row.ID)
	switch {
	case err == nil && status == MemberActive:
		return "", Invite{}, &core.Error{Code: core.CodeConflict, Message: "this person is already a member", Fields: map[string]string{"email": "already a member"}}
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `insert into control.memberships (tenant_id, user_id, status) values ($1, $2, 'pending')`, tenantID, row.ID); err != nil {
			return "", Invite{}, err
		}
	case err != nil:
		return "", Invite{}, err
	}
	secret, hash := newSecret(InvitePrefix)
	inv := Invite{ID: core.NewID(), TenantID: tenantID, UserID: row.ID, Email: row.Email, Name: row.Name, Roles: n.Roles}
	if inv.Roles == nil {
		inv.Roles = []string{}
	}
	err = tx.QueryRowxContext(ctx, `
		insert into control.invites (id, tenant_id, user_id, roles, token_hash, created_by, expires_at)
		values ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 second') returning created_at, expires_at`,
		inv.ID, tenantID, row.ID, pq.Array(inv.Roles), hash, n.By, InviteTTL.Seconds()).Scan(&inv.CreatedAt, &inv.ExpiresAt)
	if err != nil {
		return "", Invite{}, err
	}
	return secret, inv, tx.Commit()
}

type inviteRow struct {
	ID         uuid.UUID      `db:"id"`
	TenantID   uuid.UUID      `db:"tenant_id"`
	UserID     uuid.UUID      `db:"user_id"`
	Email      string         `db:"email"`
	Name       string         `db:"name"`
	Roles      pq.StringArray `db:"roles"`
	CreatedAt  time.Time      `db:"created_at"`
	ExpiresAt  time.Time      `db:"expires_at"`
	AcceptedAt sql.NullTime   `db:"accepted_at"`
}

func (r inviteRow) invite() Invite {
	inv := Invite{ID: r.ID, TenantID: r.TenantID, UserID: r.UserID, Email: r.Email, Name: r.Name, Roles: []string(r.Roles),
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}
	if inv.Roles == nil {
		inv.Roles = []string{}
	}
	if r.AcceptedAt.Valid {
		inv.AcceptedAt = &r.AcceptedAt.Time
	}
	return inv
}

const inviteSelect = `select i.id, i.tenant_id, i.user_id, u.email, u.name, i.roles, i.created_at, i.expires_at, i.accepted_at
	from control.invites i join control.users u on u.id = i.user_id`

// Invites lists a tenant's invites, newest first.
func (s *Users) Invites(ctx context.Context, tenantID uuid.UUID) ([]Invite, error) {
	var rows []inviteRow
	if err := s.DB.SelectContext(ctx, &rows, inviteSelect+` where i.tenant_id = $1 order by i.created_at desc`, tenantID); err != nil {
		return nil, err
	}
	out := make([]Invite, len(rows))
	for i, r := range rows {
		out[i] = r.invite()
	}
	return out, nil
}

// DeleteInvite withdraws an invite of the tenant that has not been
// accepted, and the pending membership it made.
func (s *Users) DeleteInvite(ctx context.Context, tenantID, id uuid.UUID) (Invite, error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return Invite{}, err
	}
	defer tx.Rollback()
	var row inviteRow
	err = tx.GetContext(ctx, &row, inviteSelect+` where i.tenant_id = $1 and i.id = $2 and i.accepted_at is null`, tenantID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Invite{}, &core.Error{Code: core.CodeNotFound, Message: "invite not found"}
	}
	if err != nil {
		return Invite{}, err
	}
	if _, err := tx.ExecContext(ctx, `delete from control.invites where id = $1`, id); err != nil {
		return Invite{}, err
	}
	if _, err := tx.ExecContext(ctx, `
		delete from control.memberships m where m.tenant_id = $1 and m.user_id = $2 and m.status = 'pending'
		and not exists (select 1 from control.invites i where i.tenant_id = $1 and i.user_id = $2 and i.accepted_at is null)`,
		tenantID, row.UserID); err != nil {
		return Invite{}, err
	}
	return row.invite(), tx.Commit()
}

// ErrBadInvite is the one answer for an unknown, used or expired invite.
var ErrBadInvite = &core.Error{Code: core.CodeNotFound, Message: "this invite link is not valid (used, withdrawn or expired)",
	Fields: map[string]string{"token": "not valid"}}

// AcceptInvite redeems an invite: the user sets their password (or, if
// they have one, proves it), the membership becomes active, and grant runs
// in the same transaction to give the invite's roles. It returns the
// invite and the user.
func (s *Users) AcceptInvite(ctx context.Context, secret, password string, grant func(tx *sqlx.Tx, inv Invite) error) (Invite, User, error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return Invite{}, User{}, err
	}
	defer tx.Rollback()
	var row inviteRow
	err = tx.GetContext(ctx, &row, inviteSelect+` where i.token_hash = $1 and i.accepted_at is null and i.expires_at > now() for update of i`, hashSecret(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return Invite{}, User{}, ErrBadInvite
	}
	if err != nil {
		return Invite{}, User{}, err
	}
	inv := row.invite()
	var u struct {
		userRow
		Hash sql.NullString `db:"password_hash"`
	}
	if err := tx.GetContext(ctx, &u, `select `+userCols+`, password_hash from control.users where id = $1 for update`, inv.UserID); err != nil {
		return Invite{}, User{}, err
	}
	if u.Disabled {
		return Invite{}, User{}, ErrBadInvite
	}
	if u.Hash.Valid {
		ok, err := VerifyPassword(ctx, u.Hash.String, password)
		if err != nil {
			return Invite{}, User{}, err
		}
		if !ok {
			return Invite{}, User{}, core.Invalid(map[string]string{"password": "you already have an account: enter its password"})
		}
	} else {
		if err := ValidatePassword("password", password); err != nil {
			return Invite{}, User{}, err
		}
		h, err := HashPassword(ctx, password)
		if err != nil {
			return Invite{}, User{}, err
		}
		if err := setPasswordHash(ctx, tx, inv.UserID, h); err != nil {
			return Invite{}, User{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, `update control.invites set accepted_at = now() where id = $1`, inv.ID); err != nil {
		return Invite{}, User{}, err
	}
	if _, err := tx.ExecContext(ctx, `
		insert into control.memberships (tenant_id, user_id, status) values ($1, $2, 'active')
		on conflict (tenant_id, user_id) do update set status = 'active'`, inv.TenantID, inv.UserID); err != nil {
		return Invite{}, User{}, err
	}
	if err := grant(tx, inv); err != nil {
		return Invite{}, User{}, err
	}
	if err := tx.Commit(); err != nil {
		return Invite{}, User{}, err
	}
	now := time.Now()
	inv.AcceptedAt = &now
	usr := u.userRow.user()
	usr.HasPassword = true
	return inv, usr, nil
}
