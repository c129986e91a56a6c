package testutil

import "runtime"

// AllocatedBy is how many bytes f allocates on the heap: the least of five
// runs, since TotalAlloc counts the whole process and a test or runtime
// goroutine running at the same time adds to one run now and then. An f
// whose allocation grows with its input shows it in every run.
func AllocatedBy(f func()) uint64 {
	least := ^uint64(0)
	for range 5 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}
