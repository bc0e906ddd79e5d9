namespace Multiprocess.Pickle;

/// <summary>
/// Receives each <see cref="PickleBuffer"/> the pickler meets at protocol 5 (Python's <c>buffer_callback</c>).
/// </summary>
/// <param name="buffer">The buffer, which keeps referring to the caller's memory (no copy).</param>
/// <returns>True to write it in band after all (as Python's callback returning a true value); false to send it out of band: the pickle then holds only NEXT_BUFFER and the receiver must supply the buffer, in order.</returns>
public delegate bool PickleBufferCallback(PickleBuffer buffer);
