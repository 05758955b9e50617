from policylint.cli.launch import main

main()
