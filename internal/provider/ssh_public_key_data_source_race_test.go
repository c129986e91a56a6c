//go:build race

package provider

// memoryFactor: the race detector keeps shadow memory for every heap byte,
// so a process grows about three times as much as without it (measured:
// 153 MiB for a 50 MiB string). TestKeyInput_peakRSS scales its bounds by it.
const memoryFactor = 3
