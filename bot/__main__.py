from bot.cli import program

if __name__ == "__main__":  # not when a spawned worker process imports it (bot.parallel)
    program()
