using AutoGrad.Nn.Optim;
using FsCheck;
using FsCheck.Xunit;
using Xunit;

namespace AutoGrad.Nn.Tests.Optim;

/// <summary>Learning-rate schedules against PyTorch's schedulers, and their shapes as properties.</summary>
public class ScheduleTests
{
    public static TheoryData<string> ScheduleNames => new(OptimizerFixture.Schedules.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(ScheduleNames))]
    public void ScheduleMatchesPyTorchSchedulerAtEveryStep(string name)
    {
        var fixture = OptimizerFixture.Schedules.Single(s => s.Name == name);
        var schedule = OptimizerFixture.CreateSchedule(fixture.Spec, fixture.LearningRate);
        for (int step = 0; step < fixture.Rates.Length; step++)
        {
            // Relative to the initial rate where the schedule reaches 0 (cosine with etaMin 0).
            Tolerance.AssertClose(fixture.Rates[step], schedule.At(step), 1e-12, $"{name} at step {step}", floor: fixture.LearningRate);
        }
    }

    [Fact]
    public void StepScheduleHoldsEachRateForStepSizeSteps()
    {
        var schedule = new StepSchedule(0.1, stepSize: 3, gamma: 0.5);
        Assert.Equal([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025], Enumerable.Range(0, 7).Select(schedule.At));
    }

    [Fact]
    public void CosineScheduleReachesEtaMinAtTMaxAndRisesAfter()
    {
        var schedule = new CosineSchedule(1.0, tMax: 10, etaMin: 0.1);
        Assert.Equal(1.0, schedule.At(0));
        Assert.Equal(0.1, schedule.At(10), 15);
        Assert.Equal(0.55, schedule.At(5), 15);
        Assert.Equal(schedule.At(9), schedule.At(11), 15);
        Assert.Equal(1.0, schedule.At(20), 15);
    }

    [Fact]
    public void LinearWarmupRampsToTheWrappedScheduleAndHandsOverToIt()
    {
        var after = new ExponentialSchedule(0.2, gamma: 0.5);
        var schedule = new LinearWarmupSchedule(after, warmupSteps: 4, startFactor: 0.5);
        Tolerance.AssertClose([0.1, 0.125, 0.15, 0.175, 0.2, 0.1, 0.05], Enumerable.Range(0, 7).Select(schedule.At).ToArray(), 1e-15, "warm-up then exponential");
    }

    [Fact]
    public void LinearWarmupOverAConstantRateIsPyTorchLinearLR()
    {
        var schedule = new LinearWarmupSchedule(0.05, warmupSteps: 4, startFactor: 0.5);

        // The example in LinearLR's docstring: 0.025, 0.03125, 0.0375, 0.04375, then 0.05.
        Tolerance.AssertClose([0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05], Enumerable.Range(0, 6).Select(schedule.At).ToArray(), 1e-15, "warm-up then constant");
        Assert.Equal(1.0 / 3, new LinearWarmupSchedule(1.0, 5).StartFactor);
    }

    [Fact]
    public void InverseTimeScheduleStartsHighAndHalvesAtOneOverDecay()
    {
        var schedule = new InverseTimeSchedule(0.8, decay: 0.1);
        Assert.Equal(0.8, schedule.At(0));
        Assert.Equal(0.4, schedule.At(10), 15);
        Assert.Equal(0.8 / 101, schedule.At(1000), 15);
    }

    [Fact]
    public void SchedulesRejectNegativeSteps()
    {
        Schedule[] schedules =
        [
            new StepSchedule(0.1, 2), new ExponentialSchedule(0.1, 0.9), new CosineSchedule(0.1, 5),
            new LinearWarmupSchedule(0.1, 3), new InverseTimeSchedule(0.1, 0.5),
        ];
        foreach (var schedule in schedules)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => schedule.At(-1));
            Assert.Contains(schedule.GetType().Name, e.Message);
            Assert.Contains("-1", e.Message);
        }
    }

    [Property]
    public bool DecayingSchedulesNeverIncrease(PositiveInt stepSize, NonNegativeInt step)
    {
        int k = step.Get % 10_000;
        Schedule[] schedules =
        [
            new StepSchedule(0.3, stepSize.Get, 0.7), new ExponentialSchedule(0.3, 0.99),
            new InverseTimeSchedule(0.3, 0.01), new CosineSchedule(0.3, tMax: 10_001, etaMin: 0.001),
        ];
        return schedules.All(s => s.At(k + 1) <= s.At(k) && s.At(k) >= 0);
    }

    [Property]
    public bool CosineScheduleStaysBetweenEtaMinAndTheInitialRate(PositiveInt tMax, NonNegativeInt step)
    {
        var schedule = new CosineSchedule(0.5, tMax.Get, etaMin: 0.02);
        double lr = schedule.At(step.Get);
        return lr >= 0.02 - 1e-15 && lr <= 0.5 + 1e-15;
    }
}
