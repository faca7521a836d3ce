package kv

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// eachBenchBackend mirrors eachBackend for benchmarks: memory always, Redis
// when COLLECTIF_TEST_REDIS_URL is set.
func eachBenchBackend(b *testing.B, fn func(b *testing.B, be Backend)) {
	b.Run("memory", func(b *testing.B) {
		fn(b, newTestMemory(b, Options{}))
	})
	b.Run("redis", func(b *testing.B) {
		ns := uniqueNS(b)
		cleanupNamespace(b, ns)
		fn(b, newTestRedis(b, ns, Options{}))
	})
}

func BenchmarkStoreSet(b *testing.B) {
	eachBenchBackend(b, func(b *testing.B, s Backend) {
		ctx := context.Background()
		val := make([]byte, 256) // about a serialized session
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if err := s.Set(ctx, "k"+strconv.Itoa(i%1024), val, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkStoreGet(b *testing.B) {
	eachBenchBackend(b, func(b *testing.B, s Backend) {
		ctx := context.Background()
		val := make([]byte, 256)
		for i := 0; i < 1024; i++ {
			if err := s.Set(ctx, "k"+strconv.Itoa(i), val, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := s.Get(ctx, "k"+strconv.Itoa(i%1024)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLimiterAllow measures one decision, on 1024 keys so windows stay
// short of the limit and both admissions and pruning are exercised.
func BenchmarkLimiterAllow(b *testing.B) {
	eachBenchBackend(b, func(b *testing.B, l Backend) {
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := l.Allow(ctx, "ip:"+strconv.Itoa(i%1024), 100, time.Second); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLimiterAllowParallel is the server's situation: many requests
// deciding at once on a few hot keys.
func BenchmarkLimiterAllowParallel(b *testing.B) {
	eachBenchBackend(b, func(b *testing.B, l Backend) {
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				if _, err := l.Allow(ctx, "ip:"+strconv.Itoa(i%16), 100, time.Second); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
