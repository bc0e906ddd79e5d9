using System.Collections.Concurrent;
using Multiprocess.Connection;
using Multiprocess.Managers.Server;
using Multiprocess.Pickle;
using Multiprocess.Reduction;

namespace Multiprocess.Tests.ManagerClient;

/// <summary>
/// A scripted manager in this process (style.md §5: failure paths against mock peers): authenticates as a manager
/// does, logs every request, and answers with what <see cref="Reply"/> returns — including replies no real manager
/// sends. <c>accept_connection</c> keeps the connection (serve_client); other public functions close it.
/// </summary>
public sealed class MockManager : IDisposable
{
    private readonly Listener _listener;
    private readonly Thread _accepter;
    private volatile bool _closed;

    public MockManager(byte[] authKey)
    {
        _listener = new Listener(ConnectionAddress.Arbitrary(ConnectionFamily.Unix), backlog: 16, authKey: authKey);
        _accepter = new Thread(AcceptLoop) { IsBackground = true, Name = "mock-manager" };
        _accepter.Start();
    }

    /// <summary>Gets the address.</summary>
    public ConnectionAddress Address => _listener.Address;

    /// <summary>Gets every request received, as (ident, method, args) in order.</summary>
    public ConcurrentQueue<(string? Ident, string Method, PyTuple Args)> Requests { get; } = new();

    /// <summary>Gets or sets the answer to a request; null closes the connection without answering.</summary>
    public Func<string? /*ident*/, string /*method*/, PyTuple /*args*/, object?>? Reply { get; set; }

    /// <summary>The public functions (ident None) in the order they came.</summary>
    public IEnumerable<string> PublicCalls => Requests.Where(r => r.Ident is null).Select(r => r.Method + (r.Args.Count > 0 && r.Method is "incref" or "decref" ? " " + r.Args[0] : ""));

    public static PyTuple Return(object? value) => PyTuple.Create("#RETURN", value);

    public void Dispose()
    {
        _closed = true;
        _listener.Dispose();
    }

    private void AcceptLoop()
    {
        while (!_closed)
        {
            Multiprocess.Connection.Connection connection;
            try
            {
                connection = _listener.Accept();
            }
            catch (Exception) when (_closed)
            {
                return;
            }
            catch (Exception)
            {
                continue;
            }

            new Thread(() => Serve(connection)) { IsBackground = true }.Start();
        }
    }

    private void Serve(Multiprocess.Connection.Connection connection)
    {
        using (connection)
        {
            try
            {
                while (true)
                {
                    var request = (PyTuple)connection.Recv()!;
                    var (ident, method, args) = ((string?)request[0], (string)request[1]!, (PyTuple)request[2]!);
                    Requests.Enqueue((ident, method, args));
                    var reply = method switch
                    {
                        "accept_connection" or "dummy" or "incref" or "decref" => Return(null),
                        _ => Reply?.Invoke(ident, method, args) ?? Return(null),
                    };
                    if (reply is "close")
                    {
                        return;
                    }

                    if (reply is not "silent")
                    {
                        connection.Send(reply);
                    }

                    if (ident is null && method != "accept_connection")
                    {
                        return;
                    }
                }
            }
            catch (EndOfStreamException)
            {
            }
            catch (IOException)
            {
            }
        }
    }
}
