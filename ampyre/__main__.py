from ampyre.cli import main

main()
