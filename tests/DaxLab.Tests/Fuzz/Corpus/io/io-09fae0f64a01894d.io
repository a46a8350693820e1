fiemap 8k f -k
mread x ' 0xcd
o '
w 1m -q 1m -4096
? -- -k
mu -V '
fdatasync
close -F 0x -R