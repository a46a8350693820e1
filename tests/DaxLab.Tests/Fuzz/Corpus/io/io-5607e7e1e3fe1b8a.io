pwrite 9223372036854775808 -r
pread -z g 0 -n
w