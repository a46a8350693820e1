truncate -s -F
falloc -d 255
ms 4097 '
help -1
s -- \ "
mm