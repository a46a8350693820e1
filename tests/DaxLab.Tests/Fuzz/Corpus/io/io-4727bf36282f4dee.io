open 0 f 3m -W
help
madvise
truncate 0
madvise 18446744073709551616 255 1kk 
mmap -W -n -F -B
print -a 256