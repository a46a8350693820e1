w -Z 7 x 0
c 0x1000 -w -B 1e
mr 
ma -f -b -F  -1
help
o -k 255 x -x
w g