package sdk_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jishi-dev/jishi/plugins/sdk"
)

func TestInstancesRebuildOnConfigVersion(t *testing.T) {
	var builds atomic.Int32
	c := sdk.NewInstances(10, func(t *sdk.Tenant) (string, error) {
		builds.Add(1)
		return fmt.Sprintf("%s/%s/%s@%d", t.ID, t.RegionID, t.ShopID, t.ConfigVersion), nil
	})
	get := func(id, shop string, v int64) string {
		t.Helper()
		s, err := c.Get(&sdk.Tenant{ID: id, RegionID: "r", ShopID: shop, ConfigVersion: v})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	steps := []struct {
		id, shop string
		v        int64
		want     string
		builds   int32
	}{
		{"a", "s1", 1, "a/r/s1@1", 1},
		{"a", "s1", 1, "a/r/s1@1", 1}, // cached
		{"a", "s2", 1, "a/r/s2@1", 2}, // another shop, its own config
		{"b", "s1", 1, "b/r/s1@1", 3}, // another tenant
		{"a", "s1", 2, "a/r/s1@2", 4}, // config changed
		{"a", "s1", 2, "a/r/s1@2", 4},
	}
	for i, s := range steps {
		if got := get(s.id, s.shop, s.v); got != s.want || builds.Load() != s.builds {
			t.Fatalf("step %d: got %q after %d builds, want %q after %d", i, got, builds.Load(), s.want, s.builds)
		}
	}
	if c.Len() != 3 {
		t.Errorf("Len = %d, want 3 (the replaced version is dropped)", c.Len())
	}
}

func TestInstancesBounded(t *testing.T) {
	var builds atomic.Int32
	c := sdk.NewInstances(2, func(t *sdk.Tenant) (int, error) { builds.Add(1); return 0, nil })
	for _, id := range []string{"a", "b", "a", "c", "a", "b"} {
		if _, err := c.Get(&sdk.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	// a, b built; a hit; c evicts b (least recently used); a hit; b rebuilt, evicting c.
	if builds.Load() != 4 || c.Len() != 2 {
		t.Errorf("builds = %d, len = %d; want 4, 2", builds.Load(), c.Len())
	}
}

func TestInstancesErrorsAreNotCached(t *testing.T) {
	fail := true
	c := sdk.NewInstances(10, func(t *sdk.Tenant) (int, error) {
		if fail {
			return 0, errors.New("bad config")
		}
		return 42, nil
	})
	tn := &sdk.Tenant{ID: "a", ConfigVersion: 1}
	if _, err := c.Get(tn); err == nil {
		t.Fatal("want the factory's error")
	}
	fail = false
	if v, err := c.Get(tn); err != nil || v != 42 {
		t.Fatalf("Get = %d, %v; want 42", v, err)
	}

	p := sdk.NewInstances(10, func(t *sdk.Tenant) (int, error) { panic("oops") })
	if _, err := p.Get(tn); err == nil {
		t.Fatal("a panicking factory must return an error")
	}
}

func TestInstancesConcurrentGetsBuildOnce(t *testing.T) {
	var builds atomic.Int32
	release := make(chan struct{})
	c := sdk.NewInstances(10, func(t *sdk.Tenant) (int64, error) {
		builds.Add(1)
		<-release
		return t.ConfigVersion, nil
	})
	var wg sync.WaitGroup
	results := make([]int64, 16)
	for i := range results {
		wg.Go(func() {
			v, err := c.Get(&sdk.Tenant{ID: "a", ConfigVersion: 5})
			if err != nil {
				t.Error(err)
			}
			results[i] = v
		})
	}
	for builds.Load() == 0 {
		runtime.Gosched() // wait for the first build to start
	}
	close(release)
	wg.Wait()
	if builds.Load() != 1 {
		t.Errorf("builds = %d, want 1", builds.Load())
	}
	for i, v := range results {
		if v != 5 {
			t.Errorf("result %d = %d", i, v)
		}
	}
}
