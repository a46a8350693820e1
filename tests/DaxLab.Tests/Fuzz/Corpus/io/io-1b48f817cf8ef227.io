w -a -s
truncate -1