from cuecoach.cli import main

main()
