package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

const contactCols = `k.id, k.customer_id, k.first_name, k.last_name, k.email, k.phone, k.title, k.is_primary, k.active,
	k.email_consent, k.email_consent_at, k.email_consent_source, k.sms_consent, k.sms_consent_at, k.sms_consent_source,
	k.custom, k.external_ref, k.created_at, k.updated_at`

type contactRow struct {
	ID                 uuid.UUID  `db:"id"`
	CustomerID         uuid.UUID  `db:"customer_id"`
	FirstName          string     `db:"first_name"`
	LastName           string     `db:"last_name"`
	Email              string     `db:"email"`
	Phone              string     `db:"phone"`
	Title              string     `db:"title"`
	IsPrimary          bool       `db:"is_primary"`
	Active             bool       `db:"active"`
	EmailConsent       bool       `db:"email_consent"`
	EmailConsentAt     *time.Time `db:"email_consent_at"`
	EmailConsentSource string     `db:"email_consent_source"`
	SMSConsent         bool       `db:"sms_consent"`
	SMSConsentAt       *time.Time `db:"sms_consent_at"`
	SMSConsentSource   string     `db:"sms_consent_source"`
	Custom             []byte     `db:"custom"`
	ExternalRef        *string    `db:"external_ref"`
	CreatedAt          time.Time  `db:"created_at"`
	UpdatedAt          time.Time  `db:"updated_at"`
}

func (r contactRow) contact() core.Contact {
	return core.Contact{ID: r.ID, CustomerID: r.CustomerID, FirstName: r.FirstName, LastName: r.LastName, Email: r.Email,
		Phone: r.Phone, Title: r.Title, Primary: r.IsPrimary, Active: r.Active,
		EmailConsent: core.Consent{Given: r.EmailConsent, At: r.EmailConsentAt, Source: r.EmailConsentSource},
		SMSConsent:   core.Consent{Given: r.SMSConsent, At: r.SMSConsentAt, Source: r.SMSConsentSource},
		Custom:       cuDecodeCustom(r.Custom), ExternalRef: r.ExternalRef, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// customerContacts lists a customer's contacts, primary first.
func customerContacts(ctx context.Context, tx *sqlx.Tx, customerID uuid.UUID) ([]core.Contact, error) {
	var rows []contactRow
	err := tx.SelectContext(ctx, &rows, `select `+contactCols+` from contacts k where k.customer_id = $1
		order by k.is_primary desc, k.last_name, k.first_name, k.id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	out := make([]core.Contact, len(rows))
	for i, r := range rows {
		out[i] = r.contact()
	}
	return out, nil
}

// Contacts lists the contacts of a customer the actor may see.
func (s *Store) Contacts(ctx context.Context, customerID uuid.UUID) ([]core.Contact, error) {
	var out []core.Contact
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := visibleCustomer(ctx, tx, customerID, false); err != nil {
			return err
		}
		var err error
		out, err = customerContacts(ctx, tx, customerID)
		return err
	})
	return out, err
}

// getContact reads a contact whose customer the actor may see.
func getContact(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, lock bool) (core.Contact, error) {
	q := &cuQuery{}
	q.and("k.id = " + q.arg(id))
	if err := scopeCustomers(ctx, q, "c"); err != nil {
		return core.Contact{}, err
	}
	sqlText := `select ` + contactCols + ` from contacts k join customers c on c.id = k.customer_id` + q.clause()
	if lock {
		sqlText += " for update of k"
	}
	var r contactRow
	err := tx.GetContext(ctx, &r, sqlText, q.args...)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Contact{}, core.Errorf(core.CodeNotFound, "contact not found")
	}
	if err != nil {
		return core.Contact{}, fmt.Errorf("get contact: %w", err)
	}
	return r.contact(), nil
}

// Contact returns one contact whose customer the actor may see.
func (s *Store) Contact(ctx context.Context, id uuid.UUID) (core.Contact, error) {
	var c core.Contact
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) (err error) {
		c, err = getContact(ctx, tx, id, false)
		return err
	})
	return c, err
}

// prepareContact validates c (normalised) against the contact custom
// field definitions.
func prepareContact(ctx context.Context, tx *sqlx.Tx, c *core.Contact, f map[string]string) error {
	defs, err := customFieldDefs(ctx, tx, "contact")
	if err != nil {
		return err
	}
	custom, cf := core.ValidateCustom(defs, c.Custom)
	for k, v := range cf {
		f[k] = v
	}
	c.Custom = custom
	return nil
}

var errContactRef = &core.Error{Code: core.CodeConflict, Message: "a contact with this external_ref exists", Fields: map[string]string{"external_ref": "already used"}}

// writeContact inserts or updates c; a primary contact takes the place of
// the customer's previous primary.
func writeContact(ctx context.Context, tx *sqlx.Tx, c *core.Contact, insert bool) error {
	if c.Primary {
		if _, err := tx.ExecContext(ctx, `update contacts set is_primary = false, updated_at = now() where customer_id = $1 and is_primary and id <> $2`, c.CustomerID, c.ID); err != nil {
			return fmt.Errorf("demote primary contact: %w", err)
		}
	}
	custom, err := cuCustomJSON(c.Custom)
	if err != nil {
		return err
	}
	args := []any{c.ID, c.CustomerID, c.FirstName, c.LastName, c.Email, c.Phone, c.Title, c.Primary, c.Active,
		c.EmailConsent.Given, c.EmailConsent.At, c.EmailConsent.Source, c.SMSConsent.Given, c.SMSConsent.At, c.SMSConsent.Source,
		custom, c.SearchText(), c.ExternalRef}
	if insert {
		_, err = tx.ExecContext(ctx, `insert into contacts (id, customer_id, first_name, last_name, email, phone, title, is_primary, active,
			email_consent, email_consent_at, email_consent_source, sms_consent, sms_consent_at, sms_consent_source, custom, search_norm, external_ref)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`, args...)
	} else {
		_, err = tx.ExecContext(ctx, `update contacts set first_name = $3, last_name = $4, email = $5, phone = $6, title = $7,
			is_primary = $8, active = $9, email_consent = $10, email_consent_at = $11, email_consent_source = $12,
			sms_consent = $13, sms_consent_at = $14, sms_consent_source = $15, custom = $16, search_norm = $17, external_ref = $18,
			updated_at = now() where id = $1 and customer_id = $2`, args...)
	}
	if _, ok := cuUnique(err); ok {
		return errContactRef
	}
	if err != nil {
		return fmt.Errorf("write contact: %w", err)
	}
	return nil
}

// CreateContact adds a contact to a customer the actor may see. A
// customer's first contact is its primary.
func (s *Store) CreateContact(ctx context.Context, customerID uuid.UUID, in core.ContactInput) (core.Contact, error) {
	now := time.Now()
	c := core.NewContact(customerID, in, now)
	f := c.Normalize(now)
	var out core.Contact
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := visibleCustomer(ctx, tx, customerID, true); err != nil {
			return err
		}
		if err := prepareContact(ctx, tx, &c, f); err != nil {
			return err
		}
		if len(f) > 0 {
			return core.Invalid(f)
		}
		if !c.Primary {
			var has bool
			if err := tx.GetContext(ctx, &has, `select exists (select 1 from contacts where customer_id = $1)`, customerID); err != nil {
				return err
			}
			c.Primary = !has
		}
		if err := writeContact(ctx, tx, &c, true); err != nil {
			return err
		}
		var err error
		out, err = getContact(ctx, tx, c.ID, false)
		return err
	})
	return out, err
}

// UpdateContact applies u to a contact whose customer the actor may see.
func (s *Store) UpdateContact(ctx context.Context, id uuid.UUID, u core.ContactUpdate) (core.Contact, error) {
	var out core.Contact
	err := tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		c, err := getContact(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := visibleCustomer(ctx, tx, c.CustomerID, true); err != nil {
			return err
		}
		now := time.Now()
		u.Apply(&c, now)
		f := c.Normalize(now)
		if err := prepareContact(ctx, tx, &c, f); err != nil {
			return err
		}
		if len(f) > 0 {
			return core.Invalid(f)
		}
		if err := writeContact(ctx, tx, &c, false); err != nil {
			return err
		}
		out, err = getContact(ctx, tx, id, false)
		return err
	})
	return out, err
}

// DeleteContact deletes a contact whose customer the actor may see.
func (s *Store) DeleteContact(ctx context.Context, id uuid.UUID) error {
	return tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := getContact(ctx, tx, id, true); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `delete from contacts where id = $1`, id)
		return err
	})
}
