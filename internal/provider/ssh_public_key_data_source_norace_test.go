//go:build !race

package provider

// memoryFactor: without the race detector, memory is what the program uses.
const memoryFactor = 1
