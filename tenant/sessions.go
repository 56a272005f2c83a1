package tenant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
)

// Secret prefixes tell the kind of a bearer secret at a glance (and to
// secret scanners).
const (
	SessionPrefix = "gms_"
	TokenPrefix   = "gmt_"
	InvitePrefix  = "gmi_"
)

// SessionTTL is how long a session lasts.
const SessionTTL = 14 * 24 * time.Hour

// newSecret returns prefix + 256 random bits, and the SHA-256 that is
// stored in its place.
func newSecret(prefix string) (string, []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	s := prefix + base64.RawURLEncoding.EncodeToString(b)
	return s, hashSecret(s)
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Session is a signed-in browser or API client.
type Session struct {
	UserID    uuid.UUID
	CSRF      string
	ExpiresAt time.Time
}

// ErrNoSession is the answer for an unknown, expired or revoked secret.
var ErrNoSession = &core.Error{Code: core.CodeUnauthenticated, Message: "sign in first"}

// CreateSession starts a session and returns its secret, shown once.
func (s *Users) CreateSession(ctx context.Context, userID uuid.UUID, ip, userAgent string) (string, Session, error) {
	secret, hash := newSecret(SessionPrefix)
	csrf, _ := newSecret("")
	sess := Session{UserID: userID, CSRF: csrf, ExpiresAt: time.Now().Add(SessionTTL)}
	_, err := s.DB.ExecContext(ctx, `
		insert into control.sessions (token_hash, user_id, csrf_token, ip, user_agent, expires_at)
		values ($1, $2, $3, $4, $5, $6)`, hash, userID, csrf, ip, truncate(userAgent, 300), sess.ExpiresAt)
	if err != nil {
		return "", Session{}, err
	}
	return secret, sess, nil
}

// SessionUser returns the live session for a secret and its user; an
// unknown or expired secret or a disabled user is ErrNoSession.
func (s *Users) SessionUser(ctx context.Context, secret string) (User, Session, error) {
	if !strings.HasPrefix(secret, SessionPrefix) {
		return User{}, Session{}, ErrNoSession
	}
	var row struct {
		userRow
		CSRF      string    `db:"csrf_token"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := s.DB.GetContext(ctx, &row, `
		select u.id, u.email, u.name, u.locale, u.operator, u.disabled, u.password_hash is not null as has_password, u.created_at,
		       s.csrf_token, s.expires_at
		from control.sessions s join control.users u on u.id = s.user_id
		where s.token_hash = $1 and s.expires_at > now() and not u.disabled`, hashSecret(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, Session{}, ErrNoSession
	}
	if err != nil {
		return User{}, Session{}, err
	}
	return row.userRow.user(), Session{UserID: row.ID, CSRF: row.CSRF, ExpiresAt: row.ExpiresAt}, nil
}

// DeleteSession ends a session.
func (s *Users) DeleteSession(ctx context.Context, secret string) error {
	_, err := s.DB.ExecContext(ctx, `delete from control.sessions where token_hash = $1`, hashSecret(secret))
	return err
}

// Token is an API token for integrations. It acts for its user in its one
// tenant. The secret is shown once, at creation.
type Token struct {
	ID         uuid.UUID  `json:"id"`
	TenantID   uuid.UUID  `json:"tenant_id"`
	UserID     uuid.UUID  `json:"user_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

type tokenRow struct {
	ID         uuid.UUID    `db:"id"`
	TenantID   uuid.UUID    `db:"tenant_id"`
	UserID     uuid.UUID    `db:"user_id"`
	Name       string       `db:"name"`
	CreatedAt  time.Time    `db:"created_at"`
	LastUsedAt sql.NullTime `db:"last_used_at"`
	RevokedAt  sql.NullTime `db:"revoked_at"`
}

func (r tokenRow) token() Token {
	t := Token{ID: r.ID, TenantID: r.TenantID, UserID: r.UserID, Name: r.Name, CreatedAt: r.CreatedAt}
	if r.LastUsedAt.Valid {
		t.LastUsedAt = &r.LastUsedAt.Time
	}
	if r.RevokedAt.Valid {
		t.RevokedAt = &r.RevokedAt.Time
	}
	return t
}

const tokenCols = `id, tenant_id, user_id, name, created_at, last_used_at, revoked_at`

// CreateToken creates an API token for a user in a tenant and returns its
// secret, shown once.
func (s *Users) CreateToken(ctx context.Context, tenantID, userID uuid.UUID, name string) (string, Token, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", Token{}, core.Invalid(map[string]string{"name": "required"})
	case utf8.RuneCountInString(name) > 100:
		return "", Token{}, core.Invalid(map[string]string{"name": "use at most 100 characters"})
	}
	secret, hash := newSecret(TokenPrefix)
	var row tokenRow
	err := s.DB.GetContext(ctx, &row, `
		insert into control.api_tokens (id, tenant_id, user_id, name, token_hash) values ($1, $2, $3, $4, $5)
		returning `+tokenCols, core.NewID(), tenantID, userID, name, hash)
	if err != nil {
		return "", Token{}, err
	}
	return secret, row.token(), nil
}

// TokenUser returns the live token for a secret and its user; a revoked or
// unknown token or a disabled user is ErrNoSession.
func (s *Users) TokenUser(ctx context.Context, secret string) (User, Token, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return User{}, Token{}, ErrNoSession
	}
	hash := hashSecret(secret)
	if ut, ok := s.byToken.get(string(hash)); ok {
		return ut.user, ut.token, nil
	}
	gen := controlGen.Load()
	var row struct {
		userRow
		TID        uuid.UUID    `db:"tid"`
		TenantID   uuid.UUID    `db:"tenant_id"`
		TName      string       `db:"tname"`
		TCreated   time.Time    `db:"tcreated"`
		LastUsedAt sql.NullTime `db:"last_used_at"`
	}
	err := s.DB.GetContext(ctx, &row, `
		select u.id, u.email, u.name, u.locale, u.operator, u.disabled, u.password_hash is not null as has_password, u.created_at,
		       t.id as tid, t.tenant_id, t.name as tname, t.created_at as tcreated, t.last_used_at
		from control.api_tokens t join control.users u on u.id = t.user_id
		where t.token_hash = $1 and t.revoked_at is null and not u.disabled`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, Token{}, ErrNoSession
	}
	if err != nil {
		return User{}, Token{}, err
	}
	tok := Token{ID: row.TID, TenantID: row.TenantID, UserID: row.ID, Name: row.TName, CreatedAt: row.TCreated}
	// Record use at most once a minute: a write per request would cost
	// more than the lookup.
	if !row.LastUsedAt.Valid || time.Since(row.LastUsedAt.Time) > time.Minute {
		_, _ = s.DB.ExecContext(ctx, `update control.api_tokens set last_used_at = now() where id = $1`, row.TID)
	} else {
		tok.LastUsedAt = &row.LastUsedAt.Time
	}
	u := row.userRow.user()
	s.byToken.put(string(hash), tokenUser{u, tok}, gen)
	return u, tok, nil
}

// tokenUser is a cached answer of TokenUser.
type tokenUser struct {
	user  User
	token Token
}

// Tokens lists a tenant's API tokens, only one user's when userID is set.
func (s *Users) Tokens(ctx context.Context, tenantID uuid.UUID, userID *uuid.UUID) ([]Token, error) {
	var rows []tokenRow
	var err error
	if userID != nil {
		err = s.DB.SelectContext(ctx, &rows, `select `+tokenCols+` from control.api_tokens where tenant_id = $1 and user_id = $2 order by created_at desc`, tenantID, *userID)
	} else {
		err = s.DB.SelectContext(ctx, &rows, `select `+tokenCols+` from control.api_tokens where tenant_id = $1 order by created_at desc`, tenantID)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = r.token()
	}
	return out, nil
}

// RevokeToken revokes a token of the tenant; with owner set, only that
// user's token. A token of another tenant or user is not found.
func (s *Users) RevokeToken(ctx context.Context, tenantID, tokenID uuid.UUID, owner *uuid.UUID, by uuid.UUID) (Token, error) {
	var row tokenRow
	err := s.DB.GetContext(ctx, &row, `
		update control.api_tokens set revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $4)
		where tenant_id = $1 and id = $2 and ($3::uuid is null or user_id = $3)
		returning `+tokenCols, tenantID, tokenID, owner, by)
	controlChanged()
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, &core.Error{Code: core.CodeNotFound, Message: "token not found"}
	}
	return row.token(), err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
