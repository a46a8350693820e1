ma 64k f 255 -r 4096.5
nosuch -V -R -d
fdatasync
s 4096.5 -b 1m -W