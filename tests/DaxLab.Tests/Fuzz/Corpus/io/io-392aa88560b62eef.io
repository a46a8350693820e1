? -b -x 1
mmap -d -r
mr 1kk -n 8k 1e 1m
close -r 
nosuch 1 \ -x 512
mmap
mwrite
truncate 0xcd -l -Z -V