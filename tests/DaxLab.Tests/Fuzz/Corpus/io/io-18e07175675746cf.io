open -S é 2m
bmap