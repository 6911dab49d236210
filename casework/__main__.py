from casework.entrypoints.cli import main

main()
