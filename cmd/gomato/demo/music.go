package demo

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

// MusicFile is the CDNOW master file in testdata/.
const MusicFile = "CDNOW_master.txt"

// RialsPerDollar is the one fixed rate at which CDNOW's US dollars become
// the music store's Iranian rials: a round figure of the order of the
// open-market rate in 2025, so amounts look like Iranian prices. It is a
// demo convention, not a market quote.
const RialsPerDollar = 1_000_000

// musicGenres are the music store's specialties (customers' interests).
// CDNOW has no product data, so they are generated, and the store's
// cross-sell comes from them alone.
var musicGenres = []string{"پاپ", "راک", "جاز", "موسیقی کلاسیک", "موسیقی سنتی ایرانی", "موسیقی فیلم", "الکترونیک", "بلوز", "هیپ\u200cهاپ", "موسیقی محلی"}

var musicPaymentMethods = []string{"کارت بانکی", "درگاه پرداخت اینترنتی", "کارت به کارت"}

type musicCustomer struct {
	src      string
	id       uuid.UUID
	first    time.Time
	purchase []musicRow
	spend    int64
	maxCDs   int
}

type musicRow struct {
	day    time.Time
	cds    int
	amount int64 // rials
}

// ReadMusic reads CDNOW_master.txt (whitespace-separated, CRLF, a header
// line) into the music store's batch: one customer per CDNOW customer, one
// invoice and one payment per purchase row in rials, and generated Persian
// names, provinces and cities, groups, specialties, referrals and rewards.
func ReadMusic(path string, opt Options) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const cur = "IRR"
	st := Stats{Currency: cur}
	sc := bufio.NewScanner(f)
	var order []*musicCustomer
	byID := map[string]*musicCustomer{}
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Fields(sc.Text()) // Fields also drops the CR of CRLF
		if line == 1 && len(fs) > 0 && fs[0] == "customer_id" {
			continue
		}
		if len(fs) == 0 {
			continue
		}
		if len(fs) != 4 {
			return nil, fmt.Errorf("%s line %d: %d fields, want 4", MusicFile, line, len(fs))
		}
		c := byID[fs[0]]
		if c == nil {
			if opt.Limit > 0 && len(order) >= opt.Limit {
				continue
			}
			c = &musicCustomer{src: fs[0], id: core.NewID()}
			byID[fs[0]] = c
			order = append(order, c)
		}
		day, err := time.Parse("20060102", fs[1])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: date %q: %w", MusicFile, line, fs[1], err)
		}
		cds, err := strconv.Atoi(fs[2])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: quantity %q: %w", MusicFile, line, fs[2], err)
		}
		cents, err := minorUnits(fs[3], 2)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", MusicFile, line, err)
		}
		// Exact: cents × (rials per cent).
		c.purchase = append(c.purchase, musicRow{day: day, cds: cds, amount: cents * (RialsPerDollar / 100)})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("%s: no purchases", MusicFile)
	}
	var last time.Time
	for _, c := range order {
		sort.SliceStable(c.purchase, func(i, j int) bool { return c.purchase[i].day.Before(c.purchase[j].day) })
		c.first = c.purchase[0].day
		for _, p := range c.purchase {
			if p.day.After(last) {
				last = p.day
			}
			c.spend += p.amount
			c.maxCDs = max(c.maxCDs, p.cds)
		}
	}
	st.ShiftDays = shiftDays(last, opt.Today)
	shift := func(t time.Time) time.Time { return t.AddDate(0, 0, st.ShiftDays) }
	tehran, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		return nil, err
	}

	b := &store.Bulk{}
	n := 0
	for _, c := range order {
		first := persianFirst[pick(len(persianFirst), "fa-first", c.src)]
		lastName := persianLast[pick(len(persianLast), "fa-last", c.src)]
		prov, city := pickProvince(c.src)
		phone := fmt.Sprintf("09%02d%07d", 10+pick(30, "fa-op", c.src), hash("fa-phone", c.src)%10_000_000)
		d := shift(c.first)
		created := time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, tehran)
		b.Customers = append(b.Customers, store.BulkCustomer{ID: c.id, Name: first + " " + lastName, Phone: phone,
			BillingProvince: prov, BillingCity: city, BillingCountry: "IR", ShippingProvince: prov, ShippingCity: city, ShippingCountry: "IR",
			Source: "CDNOW", ExternalRef: "cdnow:" + c.src, CreatedAt: created})
		b.Contacts = append(b.Contacts, store.BulkContact{ID: core.NewID(), CustomerID: c.id, FirstName: first, LastName: lastName,
			Phone: phone, IsPrimary: true})
		method := musicPaymentMethods[pick(len(musicPaymentMethods), "fa-pay", c.src)]
		for _, p := range c.purchase {
			n++
			id := core.NewID()
			number := fmt.Sprintf("M-%06d", n)
			day := shift(p.day)
			b.Invoices = append(b.Invoices, store.BulkInvoice{ID: id, CustomerID: c.id, Number: number, Kind: "invoice", IssuedOn: day,
				Currency: cur, Total: p.amount, PaidTotal: p.amount, Status: "paid"})
			if p.amount > 0 {
				b.Payments = append(b.Payments, store.BulkPayment{ID: core.NewID(), CustomerID: c.id, InvoiceID: uuid.NullUUID{UUID: id, Valid: true},
					InvoiceNumber: number, Amount: p.amount, Currency: cur, PaidOn: day, Method: method})
			}
			st.KeptTotal += p.amount
		}
	}
	st.Customers = len(order)
	st.Invoices = len(b.Invoices)
	st.Payments = len(b.Payments)

	musicSpecialties(b, order)
	musicGroups(b, order)
	musicReferrals(b, order, shift, tehran, &st)
	return &Dataset{Bulk: b, Stats: st}, nil
}

// musicSpecialties gives every customer one to three genres, chosen by a
// hash of their CDNOW id.
func musicSpecialties(b *store.Bulk, cs []*musicCustomer) {
	ids := make([]uuid.UUID, len(musicGenres))
	for i, g := range musicGenres {
		ids[i] = core.NewID()
		b.Specialties = append(b.Specialties, store.BulkSpecialty{ID: ids[i], Name: g})
	}
	for _, c := range cs {
		k := 1 + pick(3, "fa-genres", c.src)
		start := pick(len(musicGenres), "fa-genre", c.src)
		for j := 0; j < k; j++ {
			// Steps of 3 over 10 genres never repeat within three picks.
			b.CustomerSpecialties = append(b.CustomerSpecialties, store.BulkLink{CustomerID: c.id, OtherID: ids[(start+3*j)%len(musicGenres)]})
		}
	}
}

// musicGroups: "مشتریان ویژه" (VIP, flagged) is the top 2 % by spend;
// "خریداران عمده" (bulk buyers) bought ten or more CDs at once; "باشگاه
// مشتریان" (loyalty club) made five or more purchases.
func musicGroups(b *store.Bulk, cs []*musicCustomer) {
	vip, bulk, club := core.NewID(), core.NewID(), core.NewID()
	b.Groups = append(b.Groups,
		store.BulkGroup{ID: vip, Name: "مشتریان ویژه", IsVIP: true, Description: "۲٪ برتر مشتریان از نظر مبلغ خرید"},
		store.BulkGroup{ID: bulk, Name: "خریداران عمده", Description: "دست\u200cکم یک خرید ده لوح فشرده یا بیشتر"},
		store.BulkGroup{ID: club, Name: "باشگاه مشتریان", Description: "پنج خرید یا بیشتر"})
	bySpend := append([]*musicCustomer(nil), cs...)
	sort.SliceStable(bySpend, func(i, j int) bool { return bySpend[i].spend > bySpend[j].spend })
	for _, c := range bySpend[:(len(bySpend)*2+99)/100] {
		b.CustomerGroups = append(b.CustomerGroups, store.BulkLink{CustomerID: c.id, OtherID: vip})
	}
	for _, c := range cs {
		if c.maxCDs >= 10 {
			b.CustomerGroups = append(b.CustomerGroups, store.BulkLink{CustomerID: c.id, OtherID: bulk})
		}
		if len(c.purchase) >= 5 {
			b.CustomerGroups = append(b.CustomerGroups, store.BulkLink{CustomerID: c.id, OtherID: club})
		}
	}
}

// musicReferrals generates a few referrals (marked generated): about one
// customer in a hundred was referred by a customer who had bought before
// them; each referral whose customer went on to buy again earned the
// referrer a 5,000,000-rial credit.
func musicReferrals(b *store.Bulk, cs []*musicCustomer, shift func(time.Time) time.Time, loc *time.Location, st *Stats) {
	for i, c := range cs {
		if i == 0 || !chance(10, "fa-referred", c.src) {
			continue
		}
		// The referrer is an earlier customer in the file whose first
		// purchase was on or before this customer's.
		var ref *musicCustomer
		for k := 0; k < 20 && ref == nil; k++ {
			cand := cs[pick(i, "fa-referrer", c.src, strconv.Itoa(k))]
			if !cand.first.After(c.first) && cand != c {
				ref = cand
			}
		}
		if ref == nil {
			continue
		}
		id := core.NewID()
		status := "qualified"
		if len(c.purchase) > 1 {
			status = "rewarded"
		}
		b.Referrals = append(b.Referrals, store.BulkReferral{ID: id, ReferrerID: ref.id, ReferredID: c.id, ReferredOn: shift(c.first),
			Status: status, Note: "ساختگی: برای نمایش", Generated: true})
		if status == "rewarded" {
			d := shift(c.purchase[1].day)
			b.Rewards = append(b.Rewards, store.BulkReward{ID: core.NewID(), CustomerID: ref.id, ReferralID: uuid.NullUUID{UUID: id, Valid: true},
				Kind: "credit", Amount: 5_000_000, Currency: "IRR", Reason: "پاداش معرفی مشتری",
				IssuedAt: time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, loc), Generated: true})
		}
	}
	st.Referrals = len(b.Referrals)
	st.Rewards = len(b.Rewards)
}
