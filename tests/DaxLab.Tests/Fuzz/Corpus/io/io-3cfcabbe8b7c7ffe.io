mm -z 64k 3m
print 0xcd  256