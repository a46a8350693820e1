o 0x
help -b -a 3m -B -W
ms -F -n 7
p