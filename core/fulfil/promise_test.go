package fulfil_test

import (
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/fulfil"
)

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func at(day, hour, min, sec int) time.Time {
	return time.Date(2026, 11, day, hour, min, sec, 0, shanghai)
}

// TestExpressPromiseBoundaries pins 限时送 around 07:00, 19:00 and
// midnight in Asia/Shanghai, whatever the zone of the clock's reading.
func TestExpressPromiseBoundaries(t *testing.T) {
	for _, c := range []struct {
		name   string
		now    time.Time
		latest time.Time
		text   string
	}{
		{"just before 07:00", at(26, 6, 59, 59), at(26, 8, 0, 0), "今早08:00前送达"},
		{"07:00 sharp", at(26, 7, 0, 0), at(26, 8, 0, 0), "1小时内送达（预计 08:00 前）"},
		{"mid-morning", at(26, 9, 35, 0), at(26, 10, 35, 0), "1小时内送达（预计 10:35 前）"},
		{"seconds round up", at(26, 9, 35, 20), at(26, 10, 35, 20), "1小时内送达（预计 10:36 前）"},
		{"just before 19:00", at(26, 18, 59, 59), at(26, 19, 59, 59), "1小时内送达（预计 20:00 前）"},
		{"19:00 sharp", at(26, 19, 0, 0), at(27, 8, 0, 0), "明早08:00前送达"},
		{"just before midnight", at(26, 23, 59, 59), at(27, 8, 0, 0), "明早08:00前送达"},
		{"midnight", at(27, 0, 0, 0), at(27, 8, 0, 0), "今早08:00前送达"},
		{"after midnight", at(27, 0, 30, 0), at(27, 8, 0, 0), "今早08:00前送达"},
		{"month end at night", time.Date(2026, 11, 30, 21, 0, 0, 0, shanghai), time.Date(2026, 12, 1, 8, 0, 0, 0, shanghai), "明早08:00前送达"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, now := range []time.Time{c.now, c.now.UTC()} { // the clock's zone does not matter
				p := fulfil.ExpressPromise(now, shanghai)
				if !p.Latest.Equal(c.latest) || p.Text != c.text || !p.Earliest.Equal(c.now) {
					t.Errorf("ExpressPromise(%s) = %s – %s %q; want latest %s %q", now, p.Earliest, p.Latest, p.Text, c.latest, c.text)
				}
			}
		})
	}
}

func TestPickupPromise(t *testing.T) {
	for _, c := range []struct {
		now    time.Time
		cutoff string
		ready  time.Time
		text   string
	}{
		{at(26, 13, 59, 59), "14:00", at(27, 10, 0, 0), "明天10:00起可自提"},
		{at(26, 14, 0, 0), "14:00", at(28, 10, 0, 0), "后天10:00起可自提"},
		{at(26, 0, 0, 0), "14:00", at(27, 10, 0, 0), "明天10:00起可自提"},
		{at(26, 16, 29, 0), "16:30", at(27, 10, 0, 0), "明天10:00起可自提"},
		{at(26, 16, 30, 0), "16:30", at(28, 10, 0, 0), "后天10:00起可自提"},
		{at(26, 15, 0, 0), "nonsense", at(28, 10, 0, 0), "后天10:00起可自提"}, // the default 14:00
	} {
		p := fulfil.PickupPromise(c.now.UTC(), shanghai, c.cutoff)
		if !p.Earliest.Equal(c.ready) || !p.Latest.Equal(c.ready) || p.Text != c.text {
			t.Errorf("PickupPromise(%s, %s) = %s %q; want %s %q", c.now, c.cutoff, p.Latest, p.Text, c.ready, c.text)
		}
	}
}

func TestCourierPromiseAndFee(t *testing.T) {
	p := fulfil.CourierPromise(at(26, 9, 0, 0), shanghai)
	if !p.Latest.Equal(at(28, 9, 0, 0)) || p.Text != "预计 11月28日 送达" {
		t.Errorf("CourierPromise = %s %q", p.Latest, p.Text)
	}
	for _, c := range []struct {
		g    int
		want int64
	}{{0, 800}, {1, 800}, {1000, 800}, {1001, 1000}, {2000, 1000}, {2001, 1200}, {10500, 800 + 10*200}} {
		if got := fulfil.CourierFee(800, 200, c.g); got != c.want {
			t.Errorf("CourierFee(800, 200, %d g) = %d, want %d", c.g, got, c.want)
		}
	}
}

func TestSlotPromise(t *testing.T) {
	sl := &fulfil.Slot{StartsAt: at(27, 14, 0, 0).UTC(), EndsAt: at(27, 16, 0, 0).UTC()}
	for now, want := range map[time.Time]string{
		at(27, 9, 0, 0):  "今天 14:00–16:00 送达",
		at(26, 23, 0, 0): "明天 14:00–16:00 送达",
		at(25, 1, 0, 0):  "后天 14:00–16:00 送达",
		at(20, 1, 0, 0):  "11月27日 14:00–16:00 送达",
	} {
		if p := fulfil.SlotPromise(sl, now, shanghai); p.Text != want || !p.Earliest.Equal(sl.StartsAt) || !p.Latest.Equal(sl.EndsAt) {
			t.Errorf("SlotPromise at %s = %+v, want %q", now, p, want)
		}
	}
}
