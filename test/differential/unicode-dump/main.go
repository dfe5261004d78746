// unicode-dump feeds unicode-tables.test.ts.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"unicode"
)

// Prints, for every code point, what Go 1.26 (Unicode 15.0) says about it: rune, ToUpper, ToLower,
// ToTitle and a bit set of IsUpper, IsLower, IsTitle, IsLetter, IsDigit, IsNumber, IsPunct, IsSpace,
// strconv.IsPrint (1, 2, 4, ... 256), all in hex.
func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r < 0xe000 {
			continue
		}
		f := 0
		if unicode.IsUpper(r) {
			f |= 1
		}
		if unicode.IsLower(r) {
			f |= 2
		}
		if unicode.IsTitle(r) {
			f |= 4
		}
		if unicode.IsLetter(r) {
			f |= 8
		}
		if unicode.IsDigit(r) {
			f |= 16
		}
		if unicode.IsNumber(r) {
			f |= 32
		}
		if unicode.IsPunct(r) {
			f |= 64
		}
		if unicode.IsSpace(r) {
			f |= 128
		}
		if strconv.IsPrint(r) {
			f |= 256
		}
		fmt.Fprintf(w, "%x %x %x %x %x\n", r, unicode.ToUpper(r), unicode.ToLower(r), unicode.ToTitle(r), f)
	}
}
