package tenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
)

// Users is the control plane's store of people: users, their memberships
// in tenants, agency admins, sessions, API tokens and invites. Password
// hashes never leave it: User carries only whether one is set.
type Users struct {
	DB *sqlx.DB
	// byToken serves the API-token lookup every bearer request makes
	// (cache.go).
	byToken lookupCache[string, tokenUser]
}

// User is a person who can sign in.
type User struct {
	ID          uuid.UUID `json:"id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	Locale      string    `json:"locale"`
	Operator    bool      `json:"operator"`
	Disabled    bool      `json:"disabled"`
	HasPassword bool      `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// Actor returns the user as the actor of a request, without tenant roles.
func (u User) Actor() core.Actor {
	return core.Actor{UserID: u.ID, Email: u.Email, Name: u.Name, Locale: u.Locale, Operator: u.Operator}
}

// NewUser is what it takes to create a user. An empty Password leaves the
// user unable to sign in until one is set (invites, the test harness).
type NewUser struct {
	Email    string
	Name     string
	Locale   string
	Password string
	Operator bool
}

// Membership statuses.
const (
	MemberActive  = "active"
	MemberPending = "pending"
)

// ErrBadCredentials is the one answer for a wrong email, a wrong password,
// a disabled user and a user without a password, so none can be told apart.
var ErrBadCredentials = &core.Error{Code: core.CodeUnauthenticated, Message: "wrong email or password"}

// NormalizeEmail trims an email address and validates its shape.
func NormalizeEmail(field, email string) (string, error) {
	email = strings.TrimSpace(email)
	at := strings.LastIndexByte(email, '@')
	switch {
	case email == "":
		return "", core.Invalid(map[string]string{field: "required"})
	case at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n<>,;") || len(email) > 254:
		return "", core.Invalid(map[string]string{field: "not an email address"})
	}
	return email, nil
}

func (n *NewUser) validate() error {
	f := map[string]string{}
	email, err := NormalizeEmail("email", n.Email)
	if err != nil {
		var ae *core.Error
		errors.As(err, &ae)
		for k, v := range ae.Fields {
			f[k] = v
		}
	}
	n.Email = email
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" {
		f["name"] = "required"
	} else if utf8.RuneCountInString(n.Name) > 200 {
		f["name"] = "use at most 200 characters"
	}
	if n.Locale == "" {
		n.Locale = "en"
	}
	if n.Locale != "en" && n.Locale != "fa" {
		f["locale"] = "must be en or fa"
	}
	if n.Password != "" {
		if err := ValidatePassword("password", n.Password); err != nil {
			f["password"] = err.(*core.Error).Fields["password"]
		}
	}
	if len(f) > 0 {
		return core.Invalid(f)
	}
	return nil
}

const userCols = `id, email, name, locale, operator, disabled, password_hash is not null as has_password, created_at`

type userRow struct {
	ID          uuid.UUID `db:"id"`
	Email       string    `db:"email"`
	Name        string    `db:"name"`
	Locale      string    `db:"locale"`
	Operator    bool      `db:"operator"`
	Disabled    bool      `db:"disabled"`
	HasPassword bool      `db:"has_password"`
	CreatedAt   time.Time `db:"created_at"`
}

func (r userRow) user() User {
	return User{ID: r.ID, Email: r.Email, Name: r.Name, Locale: r.Locale, Operator: r.Operator, Disabled: r.Disabled,
		HasPassword: r.HasPassword, CreatedAt: r.CreatedAt}
}

// Create adds a user; an email already in use (in any letter case) is a
// conflict.
func (s *Users) Create(ctx context.Context, n NewUser) (User, error) {
	if err := n.validate(); err != nil {
		return User{}, err
	}
	var hash *string
	if n.Password != "" {
		h, err := HashPassword(ctx, n.Password)
		if err != nil {
			return User{}, err
		}
		hash = &h
	}
	return createUser(ctx, s.DB, n, hash)
}

func createUser(ctx context.Context, q sqlx.QueryerContext, n NewUser, hash *string) (User, error) {
	var row userRow
	err := sqlx.GetContext(ctx, q, &row, `
		insert into control.users (id, email, name, locale, password_hash, operator)
		values ($1, $2, $3, $4, $5, $6) returning `+userCols,
		core.NewID(), n.Email, n.Name, n.Locale, hash, n.Operator)
	if isUnique(err) {
		return User{}, &core.Error{Code: core.CodeConflict, Message: "a user with this email already exists",
			Fields: map[string]string{"email": "already in use"}}
	}
	if err != nil {
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	return row.user(), nil
}

// ByEmail finds a user by email, in any letter case.
func (s *Users) ByEmail(ctx context.Context, email string) (User, error) {
	return s.one(ctx, `select `+userCols+` from control.users where lower(email) = lower($1)`, strings.TrimSpace(email))
}

// ByID finds a user by id.
func (s *Users) ByID(ctx context.Context, id uuid.UUID) (User, error) {
	return s.one(ctx, `select `+userCols+` from control.users where id = $1`, id)
}

func (s *Users) one(ctx context.Context, q string, arg any) (User, error) {
	var row userRow
	err := s.DB.GetContext(ctx, &row, q, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, &core.Error{Code: core.CodeNotFound, Message: "user not found"}
	}
	if err != nil {
		return User{}, err
	}
	return row.user(), nil
}

// CheckPassword returns the user with that email and password, or
// ErrBadCredentials. An unknown email is checked against a dummy hash so
// that it costs the same time as a wrong password.
func (s *Users) CheckPassword(ctx context.Context, email, pw string) (User, error) {
	var row struct {
		userRow
		Hash sql.NullString `db:"password_hash"`
	}
	err := s.DB.GetContext(ctx, &row, `select `+userCols+`, password_hash from control.users where lower(email) = lower($1)`, strings.TrimSpace(email))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, err
	}
	hash := dummyPasswordHash()
	found := err == nil && row.Hash.Valid
	if found {
		hash = row.Hash.String
	}
	ok, verr := VerifyPassword(ctx, hash, pw)
	if verr != nil {
		return User{}, verr
	}
	if !found || !ok || row.Disabled {
		return User{}, ErrBadCredentials
	}
	return row.user(), nil
}

// SetPassword replaces a user's password and ends their sessions.
func (s *Users) SetPassword(ctx context.Context, id uuid.UUID, pw string) error {
	if err := ValidatePassword("password", pw); err != nil {
		return err
	}
	h, err := HashPassword(ctx, pw)
	if err != nil {
		return err
	}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := setPasswordHash(ctx, tx, id, h); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `delete from control.sessions where user_id = $1`, id); err != nil {
		return err
	}
	return tx.Commit()
}

func setPasswordHash(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, hash string) error {
	res, err := tx.ExecContext(ctx, `update control.users set password_hash = $2 where id = $1`, id, hash)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &core.Error{Code: core.CodeNotFound, Message: "user not found"}
	}
	return nil
}

// SetOperator makes a user a platform operator or takes it away.
func (s *Users) SetOperator(ctx context.Context, id uuid.UUID, on bool) error {
	_, err := s.DB.ExecContext(ctx, `update control.users set operator = $2 where id = $1`, id, on)
	controlChanged()
	return err
}

// SetLocale sets the user's own UI language ("en" or "fa"); it wins over
// the tenant's locale on every page the user opens.
func (s *Users) SetLocale(ctx context.Context, id uuid.UUID, locale string) error {
	if locale != "en" && locale != "fa" {
		return core.Invalid(map[string]string{"locale": "must be en or fa"})
	}
	res, err := s.DB.ExecContext(ctx, `update control.users set locale = $2 where id = $1`, id, locale)
	controlChanged()
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &core.Error{Code: core.CodeNotFound, Message: "user not found"}
	}
	return nil
}

// SetDisabled disables or re-enables a user; disabling ends their sessions.
func (s *Users) SetDisabled(ctx context.Context, id uuid.UUID, disabled bool) error {
	_, err := s.DB.ExecContext(ctx, `
		with u as (update control.users set disabled = $2 where id = $1)
		delete from control.sessions where user_id = $1 and $2`, id, disabled)
	controlChanged()
	return err
}

// Membership is a user's place in one tenant.
type Membership struct {
	Tenant core.Tenant
	Status string
}

// MembershipStatus returns the user's membership status in the tenant, or
// "" when they are not a member.
func (s *Users) MembershipStatus(ctx context.Context, tenantID, userID uuid.UUID) (string, error) {
	var st string
	err := s.DB.GetContext(ctx, &st, `select status from control.memberships where tenant_id = $1 and user_id = $2`, tenantID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return st, err
}

// Memberships lists the tenants a user belongs to (active or pending).
func (s *Users) Memberships(ctx context.Context, userID uuid.UUID) ([]Membership, error) {
	var rows []struct {
		tenantRow
		MStatus string `db:"mstatus"`
	}
	err := s.DB.SelectContext(ctx, &rows, `
		select t.id, t.agency_id, t.slug, t.name, t.schema, t.status, t.locale, t.currency, t.time_zone, t.created_at,
		       m.status as mstatus
		from control.memberships m join control.tenants t on t.id = m.tenant_id
		where m.user_id = $1 order by t.slug`, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Membership, len(rows))
	for i, r := range rows {
		out[i] = Membership{Tenant: r.tenantRow.tenant(), Status: r.MStatus}
	}
	return out, nil
}

// Member is a user as a member of one tenant.
type Member struct {
	User
	Status string `json:"status"`
}

// Members lists a tenant's members (active and pending).
func (s *Users) Members(ctx context.Context, tenantID uuid.UUID) ([]Member, error) {
	var rows []struct {
		userRow
		MStatus string `db:"mstatus"`
	}
	err := s.DB.SelectContext(ctx, &rows, `
		select u.id, u.email, u.name, u.locale, u.operator, u.disabled, u.password_hash is not null as has_password, u.created_at,
		       m.status as mstatus
		from control.memberships m join control.users u on u.id = m.user_id
		where m.tenant_id = $1 order by lower(u.email)`, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(rows))
	for i, r := range rows {
		out[i] = Member{User: r.userRow.user(), Status: r.MStatus}
	}
	return out, nil
}

// AddAgencyAdmin makes a user an admin of an agency.
func (s *Users) AddAgencyAdmin(ctx context.Context, agencyID, userID uuid.UUID) error {
	_, err := s.DB.ExecContext(ctx, `insert into control.agency_admins (agency_id, user_id) values ($1, $2) on conflict do nothing`, agencyID, userID)
	return err
}

// AdminAgencies lists the agencies a user administers.
func (s *Users) AdminAgencies(ctx context.Context, userID uuid.UUID) ([]core.Agency, error) {
	var out []core.Agency
	rows, err := s.DB.QueryxContext(ctx, `
		select a.id, a.slug, a.name, a.created_at from control.agency_admins aa join control.agencies a on a.id = aa.agency_id
		where aa.user_id = $1 order by a.slug`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a core.Agency
		if err := rows.Scan(&a.ID, &a.Slug, &a.Name, &a.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// IsAgencyAdmin reports whether the user administers the agency.
func (s *Users) IsAgencyAdmin(ctx context.Context, agencyID, userID uuid.UUID) (bool, error) {
	var ok bool
	err := s.DB.GetContext(ctx, &ok, `select exists (select 1 from control.agency_admins where agency_id = $1 and user_id = $2)`, agencyID, userID)
	return ok, err
}
