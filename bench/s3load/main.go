// s3load: an S3 load generator for moto_forge's peer benchmark (bench/peers.py).
//
// One workload per run, against one endpoint (path style, SigV4 with static
// credentials, no retries, checksums only where S3 requires them), many goroutines.
// Every response is checked: PUTs by status, GETs byte for byte against the body the
// key was written with (bodies are derived from the key), listings by the count and
// order of the keys. A run prints one JSON object on stdout: operations, bytes,
// seconds, latency percentiles and errors (the first one quoted). A figure with
// errors is reported with them, never silently counted.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

type result struct {
	Workload   string  `json:"workload"`
	Clients    int     `json:"clients"`
	Ops        int64   `json:"ops"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	OpsPerSec  float64 `json:"ops_per_s"`
	MBPerSec   float64 `json:"mb_per_s"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	Errors     int64   `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	// Mix counts the mixed run's operations by kind (attempted, failed ones included).
	Mix map[string]int64 `json:"mix,omitempty"`
}

type runner struct {
	client  *s3.Client
	bucket  string
	size    int
	errs    atomic.Int64
	errOnce sync.Once
	first   string
	mu      sync.Mutex
	lats    []time.Duration
}

func (r *runner) fail(err error) {
	r.errs.Add(1)
	r.errOnce.Do(func() { r.first = err.Error() })
}

func (r *runner) record(d time.Duration) {
	r.mu.Lock()
	r.lats = append(r.lats, d)
	r.mu.Unlock()
}

// body is the content of key: size bytes derived from the key, so a GET can check it.
func body(key string, size int) []byte {
	h := fnv.New64a()
	h.Write([]byte(key))
	rng := rand.New(rand.NewSource(int64(h.Sum64())))
	data := make([]byte, size)
	rng.Read(data)
	return data
}

// bodiesOf is the body of each of the first n keys of prefix, made on all cores.
func bodiesOf(prefix string, n, size int) [][]byte {
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	workers := 8
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				bodies[i] = body(key(prefix, i), size)
			}
		}(w)
	}
	wg.Wait()
	return bodies
}

func (r *runner) put(ctx context.Context, key string, data []byte) bool {
	_, err := r.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &r.bucket, Key: aws.String(key), Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		r.fail(fmt.Errorf("PUT %s: %w", key, err))
		return false
	}
	return true
}

func (r *runner) get(ctx context.Context, key string, want []byte) bool {
	out, err := r.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &r.bucket, Key: aws.String(key)})
	if err != nil {
		r.fail(fmt.Errorf("GET %s: %w", key, err))
		return false
	}
	defer out.Body.Close()
	// Compared as it arrives, through one reused buffer: the client stays cheap for large bodies.
	buf := make([]byte, 1<<20)
	off := 0
	for {
		n, err := out.Body.Read(buf)
		if n > 0 {
			if off+n > len(want) || !bytes.Equal(buf[:n], want[off:off+n]) {
				r.fail(fmt.Errorf("GET %s: the bytes at %d differ from the %d written", key, off, len(want)))
				return false
			}
			off += n
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			r.fail(fmt.Errorf("GET %s body: %w", key, err))
			return false
		}
	}
	if off != len(want) {
		r.fail(fmt.Errorf("GET %s: %d bytes, %d were written", key, off, len(want)))
		return false
	}
	return true
}

// getAbsent expects key to be absent: a NoSuchKey answer.
func (r *runner) getAbsent(ctx context.Context, key string) bool {
	out, err := r.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &r.bucket, Key: aws.String(key)})
	if err == nil {
		out.Body.Close()
		r.fail(fmt.Errorf("GET %s: found, but it was deleted", key))
		return false
	}
	var missing *types.NoSuchKey
	if !errors.As(err, &missing) {
		r.fail(fmt.Errorf("GET %s (deleted): want NoSuchKey, got %w", key, err))
		return false
	}
	return true
}

func (r *runner) del(ctx context.Context, key string) bool {
	if _, err := r.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &r.bucket, Key: aws.String(key)}); err != nil {
		r.fail(fmt.Errorf("DELETE %s: %w", key, err))
		return false
	}
	return true
}

// parallel runs n operations over clients goroutines; op(i) does operation i and
// returns the bytes it moved (negative: it failed).
func (r *runner) parallel(clients, n int, op func(i int) int64) (int64, int64, time.Duration) {
	var next, done, moved atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				b := op(i)
				if b >= 0 {
					r.record(time.Since(t))
					done.Add(1)
					moved.Add(b)
				}
			}
		}()
	}
	wg.Wait()
	return done.Load(), moved.Load(), time.Since(start)
}

func percentile(lats []time.Duration, p float64) float64 {
	if len(lats) == 0 {
		return 0
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	idx := int(float64(len(lats)-1) * p)
	return float64(lats[idx].Microseconds()) / 1000
}

func key(prefix string, i int) string { return fmt.Sprintf("%s/%08d", prefix, i) }

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:5000", "S3 endpoint")
	access := flag.String("access", "testing", "access key")
	secret := flag.String("secret", "testing", "secret key")
	region := flag.String("region", "us-east-1", "region")
	bucket := flag.String("bucket", "bench", "bucket (made if missing)")
	workload := flag.String("workload", "put", "put | get | list | mixed | seed")
	clients := flag.Int("clients", 1, "concurrent clients")
	count := flag.Int("count", 1000, "operations (put/get), keys (list/seed)")
	size := flag.Int("size", 4096, "object size in bytes")
	prefix := flag.String("prefix", "k", "key prefix")
	keys := flag.Int("keys", 0, "get: the keys written (operation i reads key i mod keys; default count)")
	duration := flag.Duration("duration", 20*time.Second, "mixed: how long")
	pageSize := flag.Int("page", 1000, "list: keys per page")
	flag.Parse()

	transport := &http.Transport{
		Proxy: nil, DialContext: (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second, DisableCompression: true,
	}
	client := s3.New(s3.Options{
		Region: *region, BaseEndpoint: aws.String(*endpoint), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(*access, *secret, ""),
		HTTPClient:                 &http.Client{Transport: transport, Timeout: 10 * time.Minute},
		RetryMaxAttempts:           1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	ctx := context.Background()
	r := &runner{client: client, bucket: *bucket, size: *size}
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket}); err != nil {
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket}); err != nil {
			fmt.Fprintln(os.Stderr, "s3load: cannot make bucket:", err)
			os.Exit(2)
		}
	}
	res := result{Workload: *workload, Clients: *clients}
	var ops, moved int64
	var took time.Duration
	switch *workload {
	case "seed", "put":
		bodies := bodiesOf(*prefix, *count, *size) // made before the clock starts
		ops, moved, took = r.parallel(*clients, *count, func(i int) int64 {
			if !r.put(ctx, key(*prefix, i), bodies[i]) {
				return -1
			}
			return int64(len(bodies[i]))
		})
	case "get":
		space := *keys
		if space <= 0 {
			space = *count
		}
		bodies := bodiesOf(*prefix, space, *size) // what each key was written with, made before the clock starts
		ops, moved, took = r.parallel(*clients, *count, func(i int) int64 {
			if !r.get(ctx, key(*prefix, i%space), bodies[i%space]) {
				return -1
			}
			return int64(*size)
		})
	case "list":
		// One full paginated listing per client pass: count pages; the keys must be the seeded ones, in order.
		start := time.Now()
		var pages int64
		var token *string
		seen := 0
		last := ""
		for {
			t := time.Now()
			out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String(*prefix + "/"),
				MaxKeys: aws.Int32(int32(*pageSize)), ContinuationToken: token})
			if err != nil {
				r.fail(fmt.Errorf("LIST page %d: %w", pages+1, err))
				break
			}
			r.record(time.Since(t))
			pages++
			for _, o := range out.Contents {
				if *o.Key <= last {
					r.fail(fmt.Errorf("LIST: %q after %q", *o.Key, last))
				}
				last = *o.Key
				seen++
			}
			if out.IsTruncated == nil || !*out.IsTruncated {
				break
			}
			token = out.NextContinuationToken
		}
		if seen != *count {
			r.fail(fmt.Errorf("LIST: %d keys, %d were seeded", seen, *count))
		}
		ops, took = pages, time.Since(start)
	case "mixed":
		// 60% GET / 30% PUT / 10% DELETE of 4-16 KiB objects over a working set of count keys
		// per client, for duration. Every key is written before the clock starts, so the mix
		// is the same whatever the server's speed: a GET of a key a DELETE removed expects
		// NoSuchKey, a DELETE of an absent key expects success, and each counts as what it is.
		pool := make([][]byte, 64) // bodies come from a pool made before the clock starts
		for n := range pool {
			pool[n] = body(fmt.Sprintf("%s#pool%d", *prefix, n), 16*1024)
		}
		bodyFor := func(rng *rand.Rand) []byte { return pool[rng.Intn(len(pool))][:4096+rng.Intn(12*1024+1)] }
		mixKey := func(c, i int) string { return fmt.Sprintf("%s/%d/%08d", *prefix, c, i) } // each client its own keys
		// live[c][i]: what client c's key i holds (nil: absent)
		live := make([][][]byte, *clients)
		var seed sync.WaitGroup
		for c := 0; c < *clients; c++ {
			live[c] = make([][]byte, *count)
			seed.Add(1)
			go func(c int) {
				defer seed.Done()
				rng := rand.New(rand.NewSource(-int64(c) - 1))
				for i := 0; i < *count; i++ {
					data := bodyFor(rng)
					if r.put(ctx, mixKey(c, i), data) {
						live[c][i] = data
					}
				}
			}(c)
		}
		seed.Wait()
		if r.errs.Load() > 0 {
			break // the working set is incomplete: the run reports the seeding error
		}
		deadline := time.Now().Add(*duration)
		var done, total atomic.Int64
		var counts [4]atomic.Int64 // GETs, GETs of absent keys, PUTs, DELETEs
		var wg sync.WaitGroup
		start := time.Now()
		for c := 0; c < *clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				rng := rand.New(rand.NewSource(int64(c) + 1))
				for time.Now().Before(deadline) {
					i := rng.Intn(*count)
					k := mixKey(c, i)
					roll := rng.Intn(100)
					want := live[c][i] // only this goroutine touches client c's keys
					t := time.Now()
					var ok bool
					var n int64
					switch {
					case roll < 60 && want != nil:
						ok, n = r.get(ctx, k, want), int64(len(want))
						counts[0].Add(1)
					case roll < 60:
						ok = r.getAbsent(ctx, k)
						counts[1].Add(1)
					case roll < 90:
						data := bodyFor(rng)
						if ok, n = r.put(ctx, k, data), int64(len(data)); ok {
							live[c][i] = data
						}
						counts[2].Add(1)
					default:
						if ok = r.del(ctx, k); ok {
							live[c][i] = nil
						}
						counts[3].Add(1)
					}
					if ok {
						r.record(time.Since(t))
						done.Add(1)
						total.Add(n)
					}
				}
			}(c)
		}
		wg.Wait()
		ops, moved, took = done.Load(), total.Load(), time.Since(start)
		res.Mix = map[string]int64{"get": counts[0].Load(), "get_absent": counts[1].Load(),
			"put": counts[2].Load(), "delete": counts[3].Load()}
	default:
		fmt.Fprintln(os.Stderr, "s3load: unknown workload", *workload)
		os.Exit(2)
	}
	res.Ops, res.Bytes, res.Seconds = ops, moved, took.Seconds()
	if took > 0 {
		res.OpsPerSec = float64(ops) / took.Seconds()
		res.MBPerSec = float64(moved) / took.Seconds() / 1e6
	}
	res.P50Ms, res.P99Ms = percentile(r.lats, 0.5), percentile(r.lats, 0.99)
	res.Errors, res.FirstError = r.errs.Load(), r.first
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if res.Errors > 0 {
		os.Exit(1)
	}
}
