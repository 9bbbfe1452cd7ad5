// Package kernels holds the arithmetic the model spends its time in: dot
// products of weight rows with activations for each tensor type, the
// quantisation of activations that the integer kernels need, and a
// persistent worker pool that spreads the rows of a matrix-vector product
// over the cores.
//
// A [Set] is one implementation of the kernels. [Detect] picks the fastest
// the CPU supports, Go assembly using AVX2, FMA and F16C on amd64, and falls
// back to [Portable], plain Go that runs everywhere. Tests run both on the
// same data and compare; the choice is made once, when the Set is made, and
// a Set is immutable, so there is no global switch to flip.
//
// Quantised weights are never expanded to float32. For Q8_0 and Q4_0, the
// activation vector is quantised once per product to Q8_0 blocks ([Q8]),
// and each block's dot product is done in 8-bit integers and scaled once, as
// llama.cpp does: the weight bytes stay as compact as they are on disk, which
// matters because generating one token reads every weight once and the speed
// is bound by memory bandwidth. The k-quants Q4_K and Q6_K (the parts of
// llama.cpp's Q4_K_M files) are dequantised a row at a time into a small
// buffer and multiplied in float32: correct everywhere, vectorised through the
// float kernel, but without an integer kernel of their own yet.
//
// [Pool] runs a [Task] over a range of rows on GOMAXPROCS workers that live
// as long as the pool, so a product costs a wake-up, not a goroutine start.
package kernels
