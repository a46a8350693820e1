mwrite 010 -k
fiemap
bmap 512 3m
q -v -k g 1m 4097
munmap 4097 -F -k 010 -s
mr f -z 3m 4097
o 4097 2m -d é 4095