from camlab_lab import main

main()
