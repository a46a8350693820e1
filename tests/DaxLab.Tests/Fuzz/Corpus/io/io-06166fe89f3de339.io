open -W -V -S 9223372036854775807 -z
fsync ' 0
? " -w 255
mwrite 512 -d -r 4096 1kk