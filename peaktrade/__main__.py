from peaktrade.cli import main

main()
