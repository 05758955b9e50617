from policylint.cli.main import main

main()
