package fulfil

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/tenants"
)

// CourierShipWithin and CourierDeliverWithin are the courier's promise
// (the seed's rule): shipped within 24 h, delivered within 48 h.
const (
	CourierShipWithin    = 24 * time.Hour
	CourierDeliverWithin = 48 * time.Hour
)

// CourierPromise is the courier's promise for an order placed at now:
// delivered within 48 h, shown as the day ("预计 11月28日 送达") in loc.
func CourierPromise(now time.Time, loc *time.Location) Promise {
	now = now.In(loc)
	latest := now.Add(CourierDeliverWithin)
	return Promise{Earliest: now, Latest: latest,
		Text: fmt.Sprintf("预计 %d月%d日 送达", latest.Month(), latest.Day())}
}

// ExpressPromise is 限时送's promise for an order placed at now, in loc:
// from 07:00 until before 19:00 within the hour ("1小时内送达（预计 10:35
// 前）", the minute rounded up); from 19:00 until midnight before 08:00
// the next morning ("明早08:00前送达"); after midnight and before 07:00
// before 08:00 the same morning ("今早08:00前送达").
func ExpressPromise(now time.Time, loc *time.Location) Promise {
	now = now.In(loc)
	h := now.Hour()
	switch {
	case h >= ExpressDayStart && h < ExpressDayEnd:
		latest := now.Add(time.Hour)
		shown := ceilMinute(latest)
		return Promise{Earliest: now, Latest: latest,
			Text: fmt.Sprintf("1小时内送达（预计 %02d:%02d 前）", shown.Hour(), shown.Minute())}
	case h >= ExpressDayEnd:
		latest := atHour(now.AddDate(0, 0, 1), ExpressMorningBy)
		return Promise{Earliest: now, Latest: latest, Text: fmt.Sprintf("明早%02d:00前送达", ExpressMorningBy)}
	default:
		latest := atHour(now, ExpressMorningBy)
		return Promise{Earliest: now, Latest: latest, Text: fmt.Sprintf("今早%02d:00前送达", ExpressMorningBy)}
	}
}

// SlotPromise is scheduled delivery's promise in slot sl, seen at now in
// loc: "明天 14:00–16:00 送达".
func SlotPromise(sl *Slot, now time.Time, loc *time.Location) Promise {
	start, end := sl.StartsAt.In(loc), sl.EndsAt.In(loc)
	return Promise{Earliest: start, Latest: end,
		Text: fmt.Sprintf("%s %s–%s 送达", dayLabel(start, now.In(loc)), start.Format("15:04"), end.Format("15:04"))}
}

// PickupPromise is pickup's promise for an order placed at now, in loc,
// with the tenant's dispatch cut-off ("HH:MM"; an unreadable one counts as
// tenants.DefaultDispatchCutoff): ready from 10:00 the next day when
// ordered before the cut-off, else from 10:00 the day after
// ("明天10:00起可自提").
func PickupPromise(now time.Time, loc *time.Location, cutoff string) Promise {
	now = now.In(loc)
	c, ok := clockMinutes(cutoff)
	if !ok {
		c, _ = clockMinutes(tenants.DefaultDispatchCutoff)
	}
	days := 1
	if now.Hour()*60+now.Minute() >= c {
		days = 2
	}
	ready := atHour(now.AddDate(0, 0, days), PickupReadyHour)
	return Promise{Earliest: ready, Latest: ready,
		Text: fmt.Sprintf("%s%02d:00起可自提", dayLabel(ready, now), PickupReadyHour)}
}

// atHour is hour:00 on t's day in t's location.
func atHour(t time.Time, hour int) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, t.Location())
}

// midnight is 00:00 of t's day in t's location.
func midnight(t time.Time) time.Time { return atHour(t, 0) }

func ceilMinute(t time.Time) time.Time {
	if r := t.Truncate(time.Minute); !r.Equal(t) {
		return r.Add(time.Minute)
	}
	return t
}

// dayLabel names t's day as seen on now's day (both in one location):
// 今天, 明天, 后天, or "11月28日".
func dayLabel(t, now time.Time) string {
	d := int(midnight(t).Sub(midnight(now)).Round(time.Hour).Hours() / 24)
	switch d {
	case 0:
		return "今天"
	case 1:
		return "明天"
	case 2:
		return "后天"
	}
	return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
}

// clockMinutes reads "HH:MM" (00:00–23:59) as minutes after midnight.
func clockMinutes(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}

// CourierFee is the courier fee of weightG grams: base for the first kg
// (and for anything lighter) plus perKg for each further kg begun.
func CourierFee(base, perKg int64, weightG int) int64 {
	if weightG <= 1000 {
		return base
	}
	extra := int64((weightG - 1000 + 999) / 1000)
	return base + extra*perKg
}
