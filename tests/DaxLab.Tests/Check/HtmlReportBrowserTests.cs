using DaxLab.Scenarios.Report;
using PuppeteerSharp;

namespace DaxLab.Tests.Check;

/// <summary>A fact that needs Debian's chromium; skipped, saying why, only when it is not installed (CI installs it).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists(HtmlReportBrowserTests.Chromium))
            Skip = $"{HtmlReportBrowserTests.Chromium} is not installed (apt-get install -y chromium); CI installs it";
    }
}

/// <summary>
/// The report in a real browser: headless Chromium from Debian's package, driven by
/// PuppeteerSharp (no browser download: the executable is the system's).
/// </summary>
public class HtmlReportBrowserTests
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>How long the browser may take to start or a page to load on a loaded 2-core machine.</summary>
    private const int BrowserTimeoutMs = 120_000;

    /// <summary>
    /// Loads the 2017 race's report, steps with the buttons and the arrow keys, and checks that
    /// the shown step and state follow, with no console error. Saves a screenshot at the final
    /// step to $DAXLAB_SCREENSHOT if set (how docs/img/trace-explorer.png is made), else to a
    /// temporary file.
    /// </summary>
    [ChromiumFact]
    public async Task Stepping_changes_the_shown_step_and_state_and_back()
    {
        string folder = Directory.CreateTempSubdirectory("daxlab-html-").FullName;
        string path = Path.Combine(folder, "report.html");
        HtmlReport.Write(path, [HtmlReportTests.Race2017()], "browser test");
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--headless", "--disable-gpu"],
            Timeout = BrowserTimeoutMs,
        });
        await using var page = await browser.NewPageAsync();
        page.DefaultTimeout = BrowserTimeoutMs;
        var errors = new List<string>();
        page.Console += (_, e) =>
        {
            if (e.Message.Type == ConsoleType.Error)
                errors.Add(e.Message.Text);
        };
        page.PageError += (_, e) => errors.Add(e.Message);
        await page.SetViewportAsync(new ViewPortOptions { Width = 1920, Height = 1080 });
        await page.GoToAsync(new Uri(path).AbsoluteUri, WaitUntilNavigation.Load);

        int steps = await page.EvaluateExpressionAsync<int>("data.failures[0].steps.length");
        Assert.Equal($"step 0 of {steps}", await Text(page, "#position"));
        string initial = await Text(page, "#state");
        Assert.Contains("hole", initial);
        Assert.DoesNotContain("hole page", initial);

        // "next" until the state changes: the shown step follows, one highlighted row.
        int step = 0;
        string shown = initial;
        while (shown == initial && step < steps)
        {
            await page.ClickAsync("#next");
            step++;
            Assert.Equal($"step {step} of {steps}", await Text(page, "#position"));
            shown = await Text(page, "#state");
        }
        Assert.True(step < steps, "no step before the last changed the shown state");
        Assert.Equal(1, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#diagram tr.now').length"));
        await page.ClickAsync("#prev");
        Assert.Equal($"step {step - 1} of {steps}", await Text(page, "#position"));
        Assert.Equal(initial, await Text(page, "#state"));

        // The keyboard: End shows the bug, left arrow goes one back.
        await page.Keyboard.PressAsync("End");
        Assert.Equal($"step {steps} of {steps}", await Text(page, "#position"));
        Assert.Contains("hole page", await Text(page, "#state"));
        Assert.Contains("written", await Text(page, "#state"));
        await page.Keyboard.PressAsync("ArrowLeft");
        Assert.Equal($"step {steps - 1} of {steps}", await Text(page, "#position"));
        await page.Keyboard.PressAsync("ArrowRight");

        string screenshot = Environment.GetEnvironmentVariable("DAXLAB_SCREENSHOT") ?? Path.Combine(folder, "trace-explorer.png");
        await page.ScreenshotAsync(screenshot, new ScreenshotOptions { FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is nearly empty");
        Assert.Empty(errors);
        Directory.Delete(folder, recursive: true);
    }

    private static Task<string> Text(IPage page, string selector) =>
        page.EvaluateFunctionAsync<string>("s => document.querySelector(s).innerText", selector);
}
