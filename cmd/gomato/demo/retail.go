package demo

import (
	"compress/gzip"
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

// RetailFile is the UCI Online Retail dataset in testdata/.
const RetailFile = "onlineretail.csv.gz"

// Stats describes what a reader kept, dropped and generated; the demo
// prints it and the tests check it.
type Stats struct {
	Currency    string
	Customers   int
	Invoices    int // invoices, not counting credit notes
	CreditNotes int
	// CreditNotesLinked counts credit notes whose original invoice was found.
	CreditNotesLinked int
	Lines             int
	Payments          int
	Contracts         int
	Tickets           int
	Referrals         int
	Rewards           int
	// KeptTotal is the net amount of everything loaded, in minor units.
	KeptTotal int64
	// DroppedLines and DroppedTotal count source lines left out and their
	// net amount (the retailer's lines without a customer).
	DroppedLines int
	DroppedTotal int64
	// Rounded counts source amounts with more decimals than the currency
	// has, rounded half-even.
	Rounded int
	// ShiftDays is the constant added to every source date.
	ShiftDays int
	// Mismatched counts telecom rows whose source TotalCharges differs
	// from tenure × MonthlyCharges by more than 5 %.
	Mismatched int
	// Churned counts telecom customers whose contract ended.
	Churned int
}

// Dataset is one tenant's data ready for the bulk loader.
type Dataset struct {
	Bulk  *store.Bulk
	Stats Stats
}

// Options shapes a reader's output.
type Options struct {
	// Today is the demo's calendar day; shifted dates are placed relative
	// to it.
	Today time.Time
	// Limit keeps only the first Limit customers of the file (in order of
	// first appearance), with their whole history; 0 keeps everyone. Tests
	// load slices this way through the same code.
	Limit int
}

// daysBeforeToday is where the latest purchase of a shifted dataset lands.
const daysBeforeToday = 3

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// shiftDays is the whole number of days that moves last to Today − 3 days.
func shiftDays(last, today time.Time) int {
	return int(dayOf(today).AddDate(0, 0, -daysBeforeToday).Sub(dayOf(last)).Hours() / 24)
}

// retailCountries maps the dataset's country names to ISO 3166 codes. The
// Channel Islands (Jersey and Guernsey), "European Community" and
// "Unspecified" have no single code: they stay empty and keep their name
// in the custom field source_country.
var retailCountries = map[string]string{
	"United Kingdom": "GB", "France": "FR", "Australia": "AU", "Netherlands": "NL", "Germany": "DE", "Norway": "NO",
	"EIRE": "IE", "Switzerland": "CH", "Spain": "ES", "Poland": "PL", "Portugal": "PT", "Italy": "IT", "Belgium": "BE",
	"Lithuania": "LT", "Japan": "JP", "Iceland": "IS", "Denmark": "DK", "Cyprus": "CY", "Sweden": "SE",
	"Austria": "AT", "Israel": "IL", "Finland": "FI", "Greece": "GR", "Singapore": "SG", "Lebanon": "LB",
	"United Arab Emirates": "AE", "Saudi Arabia": "SA", "Czech Republic": "CZ", "Canada": "CA", "Brazil": "BR",
	"USA": "US", "Bahrain": "BH", "Malta": "MT", "RSA": "ZA", "Hong Kong": "HK",
}

// Product categories of the retailer, derived from the stock code and the
// description. A stock code that does not start with a digit (POST, DOT,
// M, D, C2, BANK CHARGES, CRUK, PADS…) is postage, a fee, a discount or a
// manual adjustment: "Service & fees". Otherwise the first rule whose
// keyword is a word of the description (or that word with an S or ES
// plural) wins; rules are tried in this order, and a description no rule
// matches is "Other".
var retailCategories = []struct {
	name     string
	keywords []string
}{
	{"Christmas", []string{"CHRISTMAS", "XMAS", "ADVENT", "SNOWFLAKE", "REINDEER", "SANTA", "SLEIGH"}},
	{"Bags", []string{"BAG", "SHOPPER", "TOTE", "LUNCH BOX"}},
	{"Candles & lights", []string{"CANDLE", "T-LIGHT", "TEA LIGHT", "LANTERN", "LIGHT", "LAMP", "NIGHT LIGHT"}},
	{"Kitchen & dining", []string{"MUG", "CUP", "TEA", "PLATE", "BOWL", "CAKE", "BAKING", "JAR", "TIN", "NAPKIN", "KITCHEN",
		"SPOON", "BOTTLE", "LUNCH", "JUG", "TRAY", "CUTLERY", "COFFEE", "EGG", "DISH", "RECIPE", "APRON", "GLASS", "PANTRY",
		"BREAD", "COOKIE", "CUTTER", "MOULD", "JAM", "BISCUIT", "SALT", "PEPPER", "WASHING", "SCRUBBING", "BRUSH"}},
	{"Cards, paper & wrap", []string{"CARD", "WRAP", "PAPER", "NOTEBOOK", "PEN", "PENCIL", "STICKER", "TISSUE", "ENVELOPE",
		"BOOK", "CALENDAR", "DIARY", "TAPE", "RIBBON", "TAG", "CHALK", "ERASER", "NOTEPAD", "STATIONERY", "RULER", "STAMP", "MEMOBOARD"}},
	{"Toys & games", []string{"TOY", "GAME", "DOLL", "PUZZLE", "SOLDIER", "SPACEBOY", "PLAYHOUSE", "SKIPPING", "DOMINO",
		"CHILDRENS", "CHILDS", "KIDS", "BALLOON", "JIGSAW", "MAGIC", "TEDDY", "CRAYONS", "COLOURING", "BINGO", "SNAKES",
		"CROQUET", "ROUNDERS", "NAUGHTS", "SPINNING", "TOPS"}},
	{"Garden & craft", []string{"GARDEN", "GARDENERS", "HERB", "SEWING", "FELTCRAFT", "KNITTING", "CRAFT", "PAINT", "STENCIL",
		"CLAY", "WATERING", "PLANT", "POT", "FLOWER", "BIRD"}},
	{"Jewellery & accessories", []string{"NECKLACE", "BRACELET", "EARRINGS", "RING", "HAIR", "PURSE", "UMBRELLA", "HANDBAG",
		"SCARF", "BROOCH", "CHARM", "COSMETIC", "MAKE UP", "LIP GLOSS", "PARASOL", "FAN", "HAND WARMER"}},
	{"Home decor", []string{"FRAME", "CLOCK", "SIGN", "MIRROR", "CUSHION", "HEART", "WREATH", "DOORMAT", "HOOK", "HANGER",
		"DRAWER", "BOX", "VASE", "ORNAMENT", "DECORATION", "GARLAND", "BUNTING", "BLANKET", "DOOR", "WALL", "CABINET",
		"STAND", "CHIME", "BASKET", "SHELF", "HOLDER", "BLOCK", "STAR", "MAT", "RACK", "CONTAINER", "BIN"}},
}

// RetailCategory is the category of one product line (see retailCategories).
func RetailCategory(stockCode, description string) string {
	if stockCode == "" || stockCode[0] < '0' || stockCode[0] > '9' {
		return "Service & fees"
	}
	words := " " + strings.Join(strings.Fields(strings.ToUpper(description)), " ") + " "
	for _, c := range retailCategories {
		for _, k := range c.keywords {
			if strings.Contains(words, " "+k+" ") || strings.Contains(words, " "+k+"S ") || strings.Contains(words, " "+k+"ES ") {
				return c.name
			}
		}
	}
	return "Other"
}

// categoryCache memoises RetailCategory: the file has about 4,000 distinct
// products over 400,000 lines.
type categoryCache map[[2]string]string

func (m categoryCache) get(stock, desc string) string {
	k := [2]string{stock, desc}
	c, ok := m[k]
	if !ok {
		c = RetailCategory(stock, desc)
		m[k] = c
	}
	return c
}

type retailLine struct {
	stock, desc string
	qty         int64
	price       int64 // scaled by 10^(exp+extraScale)
	amount      int64
}

type retailInvoice struct {
	no       string
	customer string
	at       time.Time
	country  string
	lines    []retailLine
	id       uuid.UUID
	total    int64
}

type retailCustomer struct {
	id       string
	first    time.Time
	last     time.Time
	country  string
	spend    map[string]int64 // by category, purchases only
	net      int64
	invoices []*retailInvoice
}

// ReadRetail reads the UCI Online Retail file (gzip CSV) into the online
// retailer's batch: customers with a CustomerID (lines without one are
// dropped and totalled), invoices with their lines, cancellations as
// credit notes linked to the original invoice where one is found, a
// payment on the invoice date for every invoice, categories, specialties
// and groups.
func ReadRetail(path string, opt Options) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return readRetail(gz, opt)
}

func readRetail(r io.Reader, opt Options) (*Dataset, error) {
	const cur = "GBP"
	exp, _ := core.CurrencyExponent(cur)
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("online retail header: %w", err)
	}
	want := []string{"InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"}
	if strings.Join(head, ",") != strings.Join(want, ",") {
		return nil, fmt.Errorf("online retail header %q, want %q", head, want)
	}
	st := Stats{Currency: cur}
	cats := categoryCache{}
	prices := map[string]int64{} // scaled by 10^(exp+extraScale)
	invoices := map[string]*retailInvoice{}
	var order []*retailInvoice
	customers := map[string]*retailCustomer{}
	var custOrder []*retailCustomer
	line := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return nil, fmt.Errorf("online retail line %d: %w", line, err)
		}
		qty, err := strconv.ParseInt(rec[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("online retail line %d: quantity %q: %w", line, rec[3], err)
		}
		price, ok := prices[rec[5]]
		if !ok {
			if price, err = parseScaled(rec[5], exp); err != nil {
				return nil, fmt.Errorf("online retail line %d: %w", line, err)
			}
			prices[strings.Clone(rec[5])] = price
		}
		amount := roundHalfEven(qty * price)
		if rec[6] == "" {
			st.DroppedLines++
			st.DroppedTotal += amount
			continue
		}
		c := customers[rec[6]]
		if c == nil {
			if opt.Limit > 0 && len(custOrder) >= opt.Limit {
				continue
			}
			c = &retailCustomer{id: rec[6], spend: map[string]int64{}}
			customers[rec[6]] = c
			custOrder = append(custOrder, c)
		}
		at, err := time.ParseInLocation("2006-01-02 15:04:05", rec[4], london)
		if err != nil {
			return nil, fmt.Errorf("online retail line %d: date %q: %w", line, rec[4], err)
		}
		inv := invoices[rec[0]]
		if inv == nil {
			inv = &retailInvoice{no: rec[0], customer: rec[6], at: at, country: rec[7], id: core.NewID()}
			invoices[rec[0]] = inv
			order = append(order, inv)
			c.invoices = append(c.invoices, inv)
		} else if inv.customer != rec[6] {
			return nil, fmt.Errorf("online retail line %d: invoice %s has two customers", line, rec[0])
		}
		if at.Before(inv.at) {
			inv.at = at
		}
		if price%pow10[extraScale] != 0 {
			st.Rounded++
		}
		inv.lines = append(inv.lines, retailLine{stock: rec[1], desc: rec[2], qty: qty, price: price, amount: amount})
		inv.total += amount
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("online retail: no invoices with a customer")
	}

	// Dates: one constant shift so the latest invoice falls three days
	// before today; gaps stay exact.
	var last time.Time
	for _, inv := range order {
		if inv.at.After(last) {
			last = inv.at
		}
	}
	st.ShiftDays = shiftDays(last, opt.Today)
	shift := func(t time.Time) time.Time { return t.AddDate(0, 0, st.ShiftDays) }

	// Customer facts: the country of the latest invoice wins; spend by
	// category feeds specialties.
	for _, c := range custOrder {
		sort.SliceStable(c.invoices, func(i, j int) bool { return c.invoices[i].at.Before(c.invoices[j].at) })
		c.first = c.invoices[0].at
		c.last = c.invoices[len(c.invoices)-1].at
		c.country = c.invoices[len(c.invoices)-1].country
		for _, inv := range c.invoices {
			c.net += inv.total
			if strings.HasPrefix(inv.no, "C") {
				continue
			}
			for _, l := range inv.lines {
				c.spend[cats.get(l.stock, l.desc)] += l.amount
			}
		}
	}

	b := &store.Bulk{}
	// Custom field for countries without an ISO code.
	b.CustomFieldDefs = append(b.CustomFieldDefs, store.BulkCustomFieldDef{ID: core.NewID(), Entity: "customer", Key: "source_country",
		Label: "Country in the source data", Type: "text"})
	custID := map[string]uuid.UUID{}
	for _, c := range custOrder {
		id := core.NewID()
		custID[c.id] = id
		first, lastName := englishFirst[pick(len(englishFirst), "retail-first", c.id)], englishLast[pick(len(englishLast), "retail-last", c.id)]
		name := lastName + " " + shopWords[pick(len(shopWords), "retail-shop", c.id)]
		custom, _ := json.Marshal(map[string]string{"source_country": c.country})
		b.Customers = append(b.Customers, store.BulkCustomer{
			ID: id, Name: name, Email: strings.ToLower(first+"."+strings.ReplaceAll(lastName, " ", "")) + "." + c.id + "@example.com",
			BillingCountry: retailCountries[c.country], ShippingCountry: retailCountries[c.country],
			Source: "UCI Online Retail", Custom: custom, ExternalRef: "onlineretail:" + c.id, CreatedAt: shift(c.first),
		})
		b.Contacts = append(b.Contacts, store.BulkContact{ID: core.NewID(), CustomerID: id, FirstName: first, LastName: lastName,
			Email: strings.ToLower(first+"."+lastName) + "." + c.id + "@example.com", Title: "Buyer", IsPrimary: true})
	}

	// Invoices and credit notes. A credit note is linked to the latest
	// earlier invoice of the same customer that contains every product
	// (stock code starting with a digit) the credit note returns.
	for _, inv := range order {
		cid := custID[inv.customer]
		issued := dayOf(shift(inv.at))
		isCredit := strings.HasPrefix(inv.no, "C")
		bi := store.BulkInvoice{ID: inv.id, CustomerID: cid, Number: inv.no, IssuedOn: issued, Currency: cur,
			Total: inv.total, PaidTotal: inv.total, Status: "paid", ExternalRef: "onlineretail:" + inv.no}
		if isCredit {
			bi.Kind = "credit_note"
			st.CreditNotes++
			if orig := findOriginal(customers[inv.customer].invoices, inv); orig != nil {
				bi.CreditOf = uuid.NullUUID{UUID: orig.id, Valid: true}
				st.CreditNotesLinked++
			}
		} else {
			bi.Kind = "invoice"
			st.Invoices++
			if inv.total > 0 {
				b.Payments = append(b.Payments, store.BulkPayment{ID: core.NewID(), CustomerID: cid,
					InvoiceID: uuid.NullUUID{UUID: inv.id, Valid: true}, InvoiceNumber: inv.no, Amount: inv.total,
					Currency: cur, PaidOn: issued, Method: "card"})
			}
		}
		b.Invoices = append(b.Invoices, bi)
		st.KeptTotal += inv.total
		for i, l := range inv.lines {
			unit := roundHalfEven(l.price)
			product := l.desc
			if product == "" {
				product = l.stock
			}
			b.InvoiceLines = append(b.InvoiceLines, store.BulkInvoiceLine{ID: core.NewID(), InvoiceID: inv.id, Position: i + 1,
				Product: product, Category: cats.get(l.stock, l.desc), Quantity: strconv.FormatInt(l.qty, 10),
				UnitPrice: unit, Amount: l.amount})
		}
	}
	st.Customers = len(custOrder)
	st.Lines = len(b.InvoiceLines)
	st.Payments = len(b.Payments)

	retailSpecialties(b, custOrder, custID)
	retailGroups(b, custOrder, custID)
	return &Dataset{Bulk: b, Stats: st}, nil
}

func findOriginal(invs []*retailInvoice, cn *retailInvoice) *retailInvoice {
	need := map[string]bool{}
	for _, l := range cn.lines {
		if l.stock != "" && l.stock[0] >= '0' && l.stock[0] <= '9' {
			need[l.stock] = true
		}
	}
	if len(need) == 0 {
		return nil
	}
	for i := len(invs) - 1; i >= 0; i-- {
		inv := invs[i]
		if strings.HasPrefix(inv.no, "C") || inv.at.After(cn.at) {
			continue
		}
		have := map[string]bool{}
		for _, l := range inv.lines {
			have[l.stock] = true
		}
		all := true
		for s := range need {
			if !have[s] {
				all = false
				break
			}
		}
		if all {
			return inv
		}
	}
	return nil
}

// retailSpecialties: a customer's specialties are the product categories
// that make up at least a quarter of what they bought (at most three),
// leaving out "Service & fees" and "Other".
func retailSpecialties(b *store.Bulk, cs []*retailCustomer, ids map[string]uuid.UUID) {
	spec := map[string]uuid.UUID{}
	for _, c := range retailCategories {
		id := core.NewID()
		spec[c.name] = id
		b.Specialties = append(b.Specialties, store.BulkSpecialty{ID: id, Name: c.name})
	}
	for _, c := range cs {
		var total int64
		for _, v := range c.spend {
			if v > 0 {
				total += v
			}
		}
		if total <= 0 {
			continue
		}
		type kv struct {
			k string
			v int64
		}
		var top []kv
		for k, v := range c.spend {
			if _, ok := spec[k]; ok && v*4 >= total {
				top = append(top, kv{k, v})
			}
		}
		sort.Slice(top, func(i, j int) bool { return top[i].v > top[j].v || top[i].v == top[j].v && top[i].k < top[j].k })
		if len(top) > 3 {
			top = top[:3]
		}
		for _, t := range top {
			b.CustomerSpecialties = append(b.CustomerSpecialties, store.BulkLink{CustomerID: ids[c.id], OtherID: spec[t.k]})
		}
	}
}

// retailGroups: "VIP" (flagged) is the top 2 % by net spend; "International"
// is every customer whose latest invoice was outside the United Kingdom;
// "Wholesale" is every customer with a single invoice of £1,000 or more.
func retailGroups(b *store.Bulk, cs []*retailCustomer, ids map[string]uuid.UUID) {
	vip, intl, whole := core.NewID(), core.NewID(), core.NewID()
	b.Groups = append(b.Groups,
		store.BulkGroup{ID: vip, Name: "VIP", IsVIP: true, Description: "Top 2 % of customers by net spend"},
		store.BulkGroup{ID: intl, Name: "International", Description: "Latest order shipped outside the United Kingdom"},
		store.BulkGroup{ID: whole, Name: "Wholesale", Description: "At least one order of £1,000 or more"})
	byNet := append([]*retailCustomer(nil), cs...)
	sort.SliceStable(byNet, func(i, j int) bool { return byNet[i].net > byNet[j].net })
	n := (len(byNet)*2 + 99) / 100
	for _, c := range byNet[:n] {
		b.CustomerGroups = append(b.CustomerGroups, store.BulkLink{CustomerID: ids[c.id], OtherID: vip})
	}
	for _, c := range cs {
		if c.country != "United Kingdom" {
			b.CustomerGroups = append(b.CustomerGroups, store.BulkLink{CustomerID: ids[c.id], OtherID: intl})
		}
		for _, inv := range c.invoices {
			if inv.total >= 100000 {
				b.CustomerGroups = append(b.CustomerGroups, store.BulkLink{CustomerID: ids[c.id], OtherID: whole})
				break
			}
		}
	}
}
