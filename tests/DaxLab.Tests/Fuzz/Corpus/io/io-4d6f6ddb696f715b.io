w -d -z
open -W -w 255
t -z