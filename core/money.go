package core

import "strings"

// Money is an amount in a currency's minor units (cents for USD, rials for
// IRR) with its ISO 4217 code. Money never passes through a float.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// currencyExponents lists the ISO 4217 minor-unit exponents that differ
// from 2, plus the codes we know; an unknown code is rejected.
var currencyExponents = map[string]int{
	"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2, "SEK": 2, "NOK": 2,
	"DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "TRY": 2, "AED": 2, "SAR": 2, "QAR": 2, "INR": 2,
	"PKR": 2, "CNY": 2, "HKD": 2, "SGD": 2, "MYR": 2, "THB": 2, "ZAR": 2, "BRL": 2, "MXN": 2,
	"RUB": 2, "AFN": 2, "AMD": 2, "AZN": 2, "GEL": 2, "EGP": 2,
	"IRR": 0, "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
	"IQD": 3, "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "LYD": 3, "TND": 3,
}

// CurrencyExponent returns the number of decimals of an ISO 4217 currency
// and whether the code is known.
func CurrencyExponent(code string) (int, bool) {
	e, ok := currencyExponents[strings.ToUpper(code)]
	return e, ok
}
