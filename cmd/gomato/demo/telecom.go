package demo

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

// TelecomFile is the IBM Telco customer churn sample in testdata/.
const TelecomFile = "WA_Fn-UseC_-Telco-Customer-Churn.csv"

// SnapshotDaysAgo places the Telco snapshot before today, so that churn is
// observable under the contract label: churned customers' contracts ended
// at the snapshot, the others run on to today.
const SnapshotDaysAgo = 60

var telcoHeader = "customerID,gender,SeniorCitizen,Partner,Dependents,tenure,PhoneService,MultipleLines,InternetService,OnlineSecurity,OnlineBackup,DeviceProtection,TechSupport,StreamingTV,StreamingMovies,Contract,PaperlessBilling,PaymentMethod,MonthlyCharges,TotalCharges,Churn"

// telcoServices are the service columns that become specialties when the
// customer has them ("Yes"); InternetService becomes "DSL internet" or
// "Fiber optic internet".
var telcoServices = []struct {
	col  int
	name string
}{
	{6, "Phone"}, {7, "Multiple lines"}, {9, "Online security"}, {10, "Online backup"},
	{11, "Device protection"}, {12, "Tech support"}, {13, "Streaming TV"}, {14, "Streaming movies"},
}

// addMonths adds n months to a calendar day, clamping the day of month
// (Jan 31 + 1 month = Feb 28/29), unlike time.AddDate which spills over.
func addMonths(d time.Time, n int) time.Time {
	y, m, day := d.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(day, last), 0, 0, 0, 0, time.UTC)
}

// ReadTelecom reads the IBM Telco CSV into the telecom's batch. The source
// is a snapshot, placed SnapshotDaysAgo days before today. Each customer
// gets one contract of the source's type that started tenure months before
// the snapshot, and a monthly invoice of MonthlyCharges for each month of
// tenure, paid with the source's payment method. A churned customer's
// contract ended at the snapshot (churned = true) and the customer is
// inactive; the others are active and run on (churned = false). TotalCharges is kept as the custom field
// total_charges; services become specialties. Synthetic support tickets
// come from the tech-support and internet columns only, never from Churn.
func ReadTelecom(path string, opt Options) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const cur = "USD"
	exp, _ := core.CurrencyExponent(cur)
	st := Stats{Currency: cur}
	snapshot := dayOf(opt.Today).AddDate(0, 0, -SnapshotDaysAgo)
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s header: %w", TelecomFile, err)
	}
	if strings.Join(head, ",") != telcoHeader {
		return nil, fmt.Errorf("%s: unexpected header %q", TelecomFile, head)
	}

	b := &store.Bulk{}
	fields := []store.BulkCustomFieldDef{
		{Key: "total_charges", Label: "Total charges in the source (USD)", Type: "number"},
		{Key: "payment_method", Label: "Payment method", Type: "select", Options: []string{"Bank transfer (automatic)", "Credit card (automatic)", "Electronic check", "Mailed check"}},
		{Key: "paperless_billing", Label: "Paperless billing", Type: "select", Options: []string{"Yes", "No"}},
		{Key: "senior_citizen", Label: "Senior citizen", Type: "select", Options: []string{"Yes", "No"}},
		{Key: "partner", Label: "Has a partner", Type: "select", Options: []string{"Yes", "No"}},
		{Key: "dependents", Label: "Has dependents", Type: "select", Options: []string{"Yes", "No"}},
		{Key: "internet_service", Label: "Internet service", Type: "select", Options: []string{"DSL", "Fiber optic", "No"}},
	}
	for i := range fields {
		fields[i].ID, fields[i].Entity, fields[i].Position = core.NewID(), "customer", i
	}
	b.CustomFieldDefs = fields
	specIDs := map[string]uuid.UUID{}
	spec := func(name string) uuid.UUID {
		id, ok := specIDs[name]
		if !ok {
			id = core.NewID()
			specIDs[name] = id
			b.Specialties = append(b.Specialties, store.BulkSpecialty{ID: id, Name: name})
		}
		return id
	}
	vip, seniors, paperless := core.NewID(), core.NewID(), core.NewID()
	b.Groups = []store.BulkGroup{
		{ID: vip, Name: "VIP", IsVIP: true, Description: "Top 2 % of customers by lifetime billing"},
		{ID: seniors, Name: "Seniors", Description: "Senior citizens"},
		{ID: paperless, Name: "Paperless billing", Description: "Billed electronically"},
	}
	type billed struct {
		id    uuid.UUID
		total int64
	}
	var lifetime []billed
	line := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", TelecomFile, line, err)
		}
		if opt.Limit > 0 && st.Customers >= opt.Limit {
			break
		}
		src := rec[0]
		tenure, err := strconv.Atoi(rec[5])
		if err != nil || tenure < 0 {
			return nil, fmt.Errorf("%s line %d: tenure %q", TelecomFile, line, rec[5])
		}
		monthly, err := minorUnits(rec[18], exp)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: MonthlyCharges: %w", TelecomFile, line, err)
		}
		if monthly*pow10[extraScale] != mustScaled(rec[18], exp) {
			return nil, fmt.Errorf("%s line %d: MonthlyCharges %q has more than cents", TelecomFile, line, rec[18])
		}
		churned := rec[20] == "Yes"
		st.Customers++
		id := core.NewID()
		start := addMonths(snapshot, -tenure)

		custom := map[string]any{
			"payment_method": rec[17], "paperless_billing": rec[16], "partner": rec[3], "dependents": rec[4],
			"internet_service": rec[8], "senior_citizen": map[string]string{"0": "No", "1": "Yes"}[rec[2]],
		}
		if tc := strings.TrimSpace(rec[19]); tc != "" {
			// The source's own figure, kept verbatim as a JSON number.
			tcMinor, err := minorUnits(tc, exp)
			if err != nil {
				return nil, fmt.Errorf("%s line %d: TotalCharges: %w", TelecomFile, line, err)
			}
			custom["total_charges"] = json.Number(tc)
			product := int64(tenure) * monthly
			diff := tcMinor - product
			if diff < 0 {
				diff = -diff
			}
			if diff*20 > tcMinor { // more than 5 % of the source's total
				st.Mismatched++
			}
		}
		cj, _ := json.Marshal(custom)
		pool := englishMale
		if rec[1] == "Female" {
			pool = englishFemale
		}
		first, last := pool[pick(len(pool), "tel-first", src)], englishLast[pick(len(englishLast), "tel-last", src)]
		city := californiaCities[pick(len(californiaCities), "tel-city", src)]
		// A churned customer left: their contract ended at the snapshot, so
		// they are inactive (the dashboard's "who left"); the contract keeps
		// churned = true, which is what the contract model learns from.
		status := "active"
		if churned {
			status = "inactive"
		}
		b.Customers = append(b.Customers, store.BulkCustomer{ID: id, Name: first + " " + last, Status: status,
			Email:       strings.ToLower(first+"."+last) + "." + strings.ToLower(src) + "@example.com",
			BillingCity: city, BillingProvince: "California", BillingCountry: "US", ShippingCity: city, ShippingProvince: "California", ShippingCountry: "US",
			Source: "IBM Telco churn sample", Custom: cj, ExternalRef: "telco:" + src,
			CreatedAt: time.Date(start.Year(), start.Month(), start.Day(), 9, 0, 0, 0, la)})
		b.Contacts = append(b.Contacts, store.BulkContact{ID: core.NewID(), CustomerID: id, FirstName: first, LastName: last,
			Email: strings.ToLower(first+"."+last) + "." + strings.ToLower(src) + "@example.com", IsPrimary: true})

		// The contract and its history.
		ct := store.BulkContract{ID: core.NewID(), CustomerID: id, Subject: rec[15] + " plan", Type: rec[15],
			Value: int64(tenure) * monthly, MonthlyValue: monthly, Currency: cur, StartOn: start, Signed: true,
			Status: "active", Churned: &churned, ExternalRef: "telco:" + src}
		if churned {
			ct.EndOn, ct.Status = snapshot, "ended"
			st.Churned++
		}
		b.Contracts = append(b.Contracts, ct)
		lag := 0
		if strings.Contains(rec[17], "check") {
			lag = 3 // checks arrive a few days after the bill
		}
		for m := 0; m < tenure; m++ {
			issued := addMonths(start, m)
			invID := core.NewID()
			number := fmt.Sprintf("T-%s-%03d", src, m+1)
			b.Invoices = append(b.Invoices, store.BulkInvoice{ID: invID, CustomerID: id, Number: number, Kind: "invoice",
				IssuedOn: issued, DueOn: issued.AddDate(0, 0, 14), Currency: cur, Total: monthly, PaidTotal: monthly, Status: "paid"})
			if monthly > 0 {
				b.Payments = append(b.Payments, store.BulkPayment{ID: core.NewID(), CustomerID: id, InvoiceID: uuid.NullUUID{UUID: invID, Valid: true},
					InvoiceNumber: number, Amount: monthly, Currency: cur, PaidOn: issued.AddDate(0, 0, lag), Method: rec[17]})
			}
			st.KeptTotal += monthly
		}
		lifetime = append(lifetime, billed{id, int64(tenure) * monthly})

		// Services as specialties.
		for _, s := range telcoServices {
			if rec[s.col] == "Yes" {
				b.CustomerSpecialties = append(b.CustomerSpecialties, store.BulkLink{CustomerID: id, OtherID: spec(s.name)})
			}
		}
		switch rec[8] {
		case "DSL":
			b.CustomerSpecialties = append(b.CustomerSpecialties, store.BulkLink{CustomerID: id, OtherID: spec("DSL internet")})
		case "Fiber optic":
			b.CustomerSpecialties = append(b.CustomerSpecialties, store.BulkLink{CustomerID: id, OtherID: spec("Fiber optic internet")})
		}
		if rec[2] == "1" {
			b.CustomerGroups = append(b.CustomerGroups, store.BulkLink{CustomerID: id, OtherID: seniors})
		}
		if rec[16] == "Yes" {
			b.CustomerGroups = append(b.CustomerGroups, store.BulkLink{CustomerID: id, OtherID: paperless})
		}
		b.Tickets = append(b.Tickets, telcoTickets(id, src, rec, start, snapshot, la)...)
	}
	sort.SliceStable(lifetime, func(i, j int) bool { return lifetime[i].total > lifetime[j].total })
	for _, l := range lifetime[:(len(lifetime)*2+99)/100] {
		b.CustomerGroups = append(b.CustomerGroups, store.BulkLink{CustomerID: l.id, OtherID: vip})
	}
	st.Invoices = len(b.Invoices)
	st.Payments = len(b.Payments)
	st.Contracts = len(b.Contracts)
	st.Tickets = len(b.Tickets)
	return &Dataset{Bulk: b, Stats: st}, nil
}

func mustScaled(s string, exp int) int64 {
	v, _ := parseScaled(s, exp)
	return v
}

// telcoTickets makes synthetic support tickets from the service columns
// only (never from Churn): a customer with TechSupport = Yes had one
// support session, closed and rated well; about a third of the internet
// customers without tech support or online security opened a connection
// ticket in the 90 days before the snapshot, closed two days later with a
// middling rating. Every ticket is closed: the source says nothing about
// open issues.
func telcoTickets(customer uuid.UUID, src string, rec []string, start, snapshot time.Time, loc *time.Location) []store.BulkTicket {
	at := func(d time.Time, hour int) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, loc)
	}
	var out []store.BulkTicket
	if rec[12] == "Yes" {
		span := int(snapshot.Sub(start).Hours()/24) + 1
		opened := start.AddDate(0, 0, pick(span, "tel-ts", src))
		out = append(out, store.BulkTicket{ID: core.NewID(), CustomerID: customer, Subject: "Help setting up my equipment",
			Body: "Generated from the source's TechSupport column.", Status: "closed", Priority: "normal", Department: "Technical support",
			OpenedAt: at(opened, 10), ClosedAt: at(opened, 16), Satisfaction: 4 + pick(2, "tel-ts-sat", src)})
	}
	if rec[8] != "No" && rec[12] == "No" && rec[9] == "No" && chance(333, "tel-conn", src) {
		back := pick(90, "tel-conn-day", src)
		opened := snapshot.AddDate(0, 0, -back)
		if opened.Before(start) {
			opened = start
		}
		out = append(out, store.BulkTicket{ID: core.NewID(), CustomerID: customer, Subject: "Internet connection keeps dropping",
			Body: "Generated from the source's InternetService, TechSupport and OnlineSecurity columns.", Status: "closed",
			Priority: "high", Department: "Technical support", OpenedAt: at(opened, 11), ClosedAt: at(opened.AddDate(0, 0, 2), 11),
			Satisfaction: 2 + pick(2, "tel-conn-sat", src)})
	}
	return out
}
