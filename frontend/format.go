package frontend

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// French typography groups thousands with a narrow no-break space
// (U+202F) and writes decimals after a comma; English uses "," and ".".
const narrowNBSP = "\u202f"

var separators = map[string][2]string{ // thousands, decimal
	French:  {narrowNBSP, ","},
	English: {",", "."},
}

// toFloat reads any Go number, or a pointer to one; ok is false for
// anything else.
func toFloat(v any) (f float64, integer, ok bool) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true, true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), false, true
	}
	return 0, false, false
}

// formatNumber writes v with at most two decimals, trailing zeros dropped:
// 1 234,5 in French, 1,234.5 in English.
func formatNumber(lang string, v any) string {
	f, integer, ok := toFloat(v)
	if !ok {
		return fmt.Sprint(v)
	}
	if integer {
		return group(lang, strconv.FormatFloat(f, 'f', 0, 64))
	}
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
	return group(lang, s)
}

// formatMoney writes an amount in euros: whole amounts without decimals
// (12 €), others with two (1 234,50 € / €1,234.50).
func formatMoney(lang string, v any) string {
	f, _, ok := toFloat(v)
	if !ok {
		return fmt.Sprint(v)
	}
	cents := math.Round(f * 100)
	var s string
	if math.Mod(cents, 100) == 0 {
		s = strconv.FormatFloat(cents/100, 'f', 0, 64)
	} else {
		s = strconv.FormatFloat(cents/100, 'f', 2, 64)
	}
	n := group(lang, strings.TrimPrefix(s, "-"))
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign = "-"
	}
	if lang == English {
		return sign + "€" + n
	}
	// A no-break space keeps the sign with its amount at a line's end.
	return sign + n + "\u00a0€"
}

// group inserts the thousands separator in the integer part of a decimal
// string written with "." and puts the language's decimal sign.
func group(lang, s string) string {
	sep, ok := separators[lang]
	if !ok {
		sep = separators[French]
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(sep[0])
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString(sep[1])
		b.WriteString(frac)
	}
	return b.String()
}

var monthNames = map[string][12]string{
	French:  {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	English: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// formatDate writes the day in Europe/Paris: 12 mars 2026, 12 March 2026.
func formatDate(lang string, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	names, ok := monthNames[lang]
	if !ok {
		names = monthNames[French]
	}
	return fmt.Sprintf("%d %s %d", t.Day(), names[t.Month()-1], t.Year())
}

// formatDateTime adds the time of day: "12 mars 2026 à 14 h 30" (and
// "à 14 h" on the hour), "12 March 2026, 2:30 pm".
func formatDateTime(lang string, t time.Time, loc *time.Location) string {
	d := formatDate(lang, t, loc)
	t = t.In(loc)
	if lang == English {
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		ampm := "am"
		if t.Hour() >= 12 {
			ampm = "pm"
		}
		return fmt.Sprintf("%s, %d:%02d %s", d, h, t.Minute(), ampm)
	}
	if t.Minute() == 0 {
		return fmt.Sprintf("%s à %d h", d, t.Hour())
	}
	return fmt.Sprintf("%s à %d h %02d", d, t.Hour(), t.Minute())
}

// formatSize writes a file size: "12 octets", "340 Ko", "1,2 Mo" in
// French; "12 bytes", "340 KB", "1.2 MB" in English.
func formatSize(lang string, n int64) string {
	units := [3]string{"octets", "Ko", "Mo"}
	if lang == English {
		units = [3]string{"bytes", "KB", "MB"}
	}
	switch {
	case n < 1<<10:
		return formatNumber(lang, n) + " " + units[0]
	case n < 1<<20:
		return formatNumber(lang, (n+512)>>10) + " " + units[1]
	}
	mb := math.Round(float64(n)/(1<<20)*10) / 10
	return formatNumber(lang, mb) + " " + units[2]
}

var weekdayNames = map[string][7]string{
	French:  {"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
	English: {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
}

// formatClock writes the time of day in Europe/Paris: "14 h 30", "9 h"
// in French; "2:30 pm", "9:00 am" in English.
func formatClock(lang string, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if lang == English {
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		ampm := "am"
		if t.Hour() >= 12 {
			ampm = "pm"
		}
		return fmt.Sprintf("%d:%02d %s", h, t.Minute(), ampm)
	}
	if t.Minute() == 0 {
		return fmt.Sprintf("%d h", t.Hour())
	}
	return fmt.Sprintf("%d h %02d", t.Hour(), t.Minute())
}

// formatDay writes the day with its weekday: "samedi 24 octobre 2026",
// "Saturday 24 October 2026".
func formatDay(lang string, t time.Time, loc *time.Location) string {
	names, ok := weekdayNames[lang]
	if !ok {
		names = weekdayNames[French]
	}
	return names[t.In(loc).Weekday()] + " " + formatDate(lang, t, loc)
}

// formatSpan writes when something happens, from start to end:
// "samedi 24 octobre 2026, de 9 h à 17 h 30", or over several days
// "du samedi 24 octobre 2026, 9 h, au dimanche 25 octobre 2026, 17 h";
// in English "Saturday 24 October 2026, 9:00 am to 5:30 pm".
func formatSpan(lang string, start, end time.Time, loc *time.Location) string {
	a, b := start.In(loc), end.In(loc)
	same := a.Year() == b.Year() && a.YearDay() == b.YearDay()
	switch {
	case lang == English && same:
		return fmt.Sprintf("%s, %s to %s", formatDay(lang, a, loc), formatClock(lang, a, loc), formatClock(lang, b, loc))
	case lang == English:
		return fmt.Sprintf("from %s, %s, to %s, %s", formatDay(lang, a, loc), formatClock(lang, a, loc), formatDay(lang, b, loc), formatClock(lang, b, loc))
	case same:
		return fmt.Sprintf("%s, de %s à %s", formatDay(lang, a, loc), formatClock(lang, a, loc), formatClock(lang, b, loc))
	}
	return fmt.Sprintf("du %s, %s, au %s, %s", formatDay(lang, a, loc), formatClock(lang, a, loc), formatDay(lang, b, loc), formatClock(lang, b, loc))
}
