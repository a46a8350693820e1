fiemap -B 255 -w
falloc -r 1
? -i é 255 -rw
truncate  -k -- -z
munmap -f 
fiemap