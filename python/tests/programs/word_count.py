"""An ordinary multiprocessing program (nothing of multiprocess_dotnet in it): workers count words into a managed
dict and report through a managed Queue. Run it as `python word_count.py` or under
`python -m multiprocess_dotnet run word_count.py`."""
import multiprocessing
import sys

TEXT = "the quick brown fox jumps over the lazy dog the end".split()


def count(words, totals, lock, done):
    for w in words:
        with lock:
            totals[w] = totals.get(w, 0) + 1
    done.put(len(words))


def main(workers):
    with multiprocessing.Manager() as manager:
        totals, lock, done = manager.dict(), manager.Lock(), manager.Queue()
        procs = [multiprocessing.Process(target=count, args=(TEXT, totals, lock, done)) for _ in range(workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        seen = sum(done.get() for _ in procs)
        print("words", seen)
        print("the", totals["the"])
        print("manager", type(manager).__module__)
        return 0 if seen == workers * len(TEXT) and totals["the"] == 3 * workers else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))
