module sealbridge.dev/test/unicode-dump

go 1.26
