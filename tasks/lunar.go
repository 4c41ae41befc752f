package tasks

import (
	"fmt"
	"math"
	"time"

	"p06/store"
)

// The Vietnamese lunisolar calendar, as far as deadlines need it: the first
// day of Tết Nguyên đán and the can-chi name of a year.
//
// The calendar is computed the standard way (the method Hồ Ngọc Đức
// published): true new moons and the sun's longitude are found with the
// low-precision formulas of Jean Meeus, and everything is reckoned in
// Vietnam's time zone, UTC+7. The time zone is why Vietnam's Tết sometimes
// falls on a different day from China's (UTC+8), as in 2007.
//
// Rules of the calendar:
//   - a lunar month begins on the local day that contains a new moon;
//   - month 11 is the month that contains the winter solstice;
//   - when 13 months begin between two months 11, the first of them (after
//     month 11) in which the sun enters no new 30° sector of longitude — no
//     "trung khí" — is the leap month and repeats the number of the month
//     before it;
//   - Tết, the first day of month 1, therefore begins the second month after
//     month 11, or the third when month 11 or 12 is followed by its leap month.

// tetFirstYear and tetLastYear bound the Gregorian years TetDate answers for.
const tetFirstYear, tetLastYear = 2000, 2050

const (
	// vnZone is UTC+7 as a fraction of a day.
	vnZone = 7.0 / 24
	// synodicMonth is the mean length of a lunation, in days.
	synodicMonth = 29.530588853
	// newMoonZero is the Julian date of new moon number 0 of the series
	// newMoon counts, 1 January 1900 at 13:52 UT.
	newMoonZero = 2415021.076998695
	// unixJDN is the Julian Day Number of 1 January 1970.
	unixJDN = 2440588
)

// TetDate returns the first day of the Vietnamese lunar new year (mùng 1 Tết
// Nguyên đán) that falls in the Gregorian year, for years 2000–2050.
func TetDate(year int) (store.Date, error) {
	if year < tetFirstYear || year > tetLastYear {
		return store.Date{}, fmt.Errorf("chỉ tính được Tết Nguyên đán cho các năm %d–%d, không tính được năm %d",
			tetFirstYear, tetLastYear, year)
	}
	a11 := month11(year - 1)
	b11 := month11(year)
	months := 2
	// More than 365 days between two months 11 means 13 lunar months, so one
	// of them is a leap month; it delays Tết when it comes before month 1.
	if b11-a11 > 365 && leapMonthOffset(a11) <= 2 {
		months = 3
	}
	return dateOfJDN(newMoonDay(lunation(a11) + months)), nil
}

// CanChi returns the sexagenary (can-chi) name of the lunar year that begins
// in the Gregorian year, such as "Giáp Thìn" for 2024.
func CanChi(year int) string {
	can := [10]string{"Canh", "Tân", "Nhâm", "Quý", "Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ"}
	chi := [12]string{"Thân", "Dậu", "Tuất", "Hợi", "Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi"}
	return can[mod(year, 10)] + " " + chi[mod(year, 12)]
}

// mod is the remainder of a/n in [0, n), also for negative a.
func mod(a, n int) int { return (a%n + n) % n }

// month11 returns the Julian Day Number of the first day of lunar month 11
// (the month of the winter solstice) of the Gregorian year.
func month11(year int) int {
	// The last new moon of the year, then step back one lunation if the sun
	// had already passed the solstice (270°, sector 9) when it began.
	k := int(math.Floor(float64(jdn(store.NewDate(year, time.December, 31))-2415021) / synodicMonth))
	day := newMoonDay(k)
	if sunSector(day) >= 9 {
		day = newMoonDay(k - 1)
	}
	return day
}

// leapMonthOffset returns how many months after month 11 (which begins on the
// day a11) the leap month comes, in a year known to have one: the first month
// during which the sun stays in one sector of longitude.
func leapMonthOffset(a11 int) int {
	k := lunation(a11)
	i := 1
	for i < 13 && sunSector(newMoonDay(k+i)) != sunSector(newMoonDay(k+i+1)) {
		i++
	}
	return i
}

// lunation returns the number of the new moon that begins on the day jd.
func lunation(jd int) int {
	return int(math.Floor((float64(jd)-newMoonZero)/synodicMonth + 0.5))
}

// newMoonDay returns the Julian Day Number of the day, in Vietnam, that
// contains new moon number k.
func newMoonDay(k int) int {
	// A Julian date counts from noon UTC; +0.5 moves the day boundary to
	// midnight UTC and +vnZone to midnight in Vietnam.
	return int(math.Floor(newMoon(k) + 0.5 + vnZone))
}

// sunSector returns which 30° sector of longitude (0–11) the sun is in at the
// start (midnight, UTC+7) of the day with Julian Day Number jd.
func sunSector(jd int) int {
	return int(sunLongitude(float64(jd)-0.5-vnZone) / 30)
}

// newMoon returns the Julian date (UT) of true new moon number k, counted
// from the new moon of 1 January 1900 (Meeus, Astronomical Formulae for
// Calculators, ch. 32).
func newMoon(k int) float64 {
	kf := float64(k)
	t := kf / 1236.85 // Julian centuries since 1900
	t2, t3 := t*t, t*t*t

	// Mean new moon.
	jd := 2415020.75933 + 29.53058868*kf + 0.0001178*t2 - 0.000000155*t3 +
		0.00033*sinDeg(166.56+132.87*t-0.009173*t2)

	// Anomalies of the sun (m) and the moon (mm), and the moon's argument of
	// latitude (f), in degrees.
	m := 359.2242 + 29.10535608*kf - 0.0000333*t2 - 0.00000347*t3
	mm := 306.0253 + 385.81691806*kf + 0.0107306*t2 + 0.00001236*t3
	f := 21.2964 + 390.67050646*kf - 0.0016528*t2 - 0.00000239*t3

	// Periodic terms: from the mean to the true new moon.
	jd += (0.1734-0.000393*t)*sinDeg(m) + 0.0021*sinDeg(2*m) -
		0.4068*sinDeg(mm) + 0.0161*sinDeg(2*mm) - 0.0004*sinDeg(3*mm) +
		0.0104*sinDeg(2*f) - 0.0051*sinDeg(m+mm) - 0.0074*sinDeg(m-mm) +
		0.0004*sinDeg(2*f+m) - 0.0004*sinDeg(2*f-m) - 0.0006*sinDeg(2*f+mm) +
		0.0010*sinDeg(2*f-mm) + 0.0005*sinDeg(m+2*mm)

	// The formulas give dynamical time; ΔT converts it to universal time.
	var deltaT float64
	if t < -11 {
		deltaT = 0.001 + 0.000839*t + 0.0002261*t2 - 0.00000845*t3 - 0.000000081*t*t3
	} else {
		deltaT = -0.000278 + 0.000265*t + 0.000262*t2
	}
	return jd - deltaT
}

// sunLongitude returns the sun's apparent geometric longitude in degrees,
// in [0, 360), at the Julian date jd (Meeus, low-precision solar position).
func sunLongitude(jd float64) float64 {
	t := (jd - 2451545.0) / 36525 // Julian centuries since J2000.0
	t2 := t * t
	m := 357.52910 + 35999.05030*t - 0.0001559*t2 - 0.00000048*t*t2 // mean anomaly
	l0 := 280.46645 + 36000.76983*t + 0.0003032*t2                  // mean longitude
	c := (1.914600-0.004817*t-0.000014*t2)*sinDeg(m) +
		(0.019993-0.000101*t)*sinDeg(2*m) + 0.000290*sinDeg(3*m) // equation of centre
	l := math.Mod(l0+c, 360)
	if l < 0 {
		l += 360
	}
	return l
}

// sinDeg is the sine of an angle in degrees.
func sinDeg(deg float64) float64 { return math.Sin(deg * math.Pi / 180) }

// jdn returns the Julian Day Number of a civil date.
func jdn(d store.Date) int {
	return unixJDN + int(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix()/86400)
}

// dateOfJDN returns the civil date with Julian Day Number n.
func dateOfJDN(n int) store.Date { return store.NewDate(1970, time.January, 1+n-unixJDN) }
